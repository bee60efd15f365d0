import { buildDeps, closeDeps, listen } from '../bootstrap';
import { loadConfig } from '../config';
import { logger } from '../logger';
import { appleSigning } from '../wallet/apple/signing';
import { run, shutdownSignal } from './run';

/** `npm run api`: the HTTP API alone, against existing PostgreSQL and Temporal (production layout). */
run(async () => {
  const config = loadConfig();
  appleSigning(config); // production: no pass serving without the real certificates (the message names the variable)
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for npm run api');
  const deps = await buildDeps(config, {
    databaseUrl: config.databaseUrl,
    temporalAddress: config.temporal.address ?? 'localhost:7233',
  });
  const api = await listen(deps, config.port);
  logger.info({ port: api.port }, `API listening on ${config.publicBaseUrl}/query`);
  await shutdownSignal();
  await api.close();
  await closeDeps(deps);
});
