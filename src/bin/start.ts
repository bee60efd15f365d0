import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { buildDeps, closeDeps, listen } from '../bootstrap';
import { loadConfig } from '../config';
import { migrateLatest } from '../db/knex';
import { startEmbeddedPostgres } from '../dev/embeddedPostgres';
import { startLocalTemporal } from '../dev/localTemporal';
import { logger } from '../logger';
import { wakeExpiryScheduler } from '../jobs/passExpiry/client';
import { ensureSchedules } from '../temporal/schedules';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { installTemporalRuntime } from '../temporal/runtime';
import { createWorker } from '../temporal/worker';
import { run, shutdownSignal } from './run';
import { codecAuthToken } from '../api/http/codec';
import { embeddedMailCatcher } from '../dev/mailCatcher';
import { checkClusterVersion, checkFreeSpace, checkPorts, environmentMessage, PortUse, StartupError, unknownMigrationsMessage } from '../dev/preflight';
import type { Config } from '../config';

/**
 * Defaults that follow the ports given: the Temporal UI at the gRPC port + 1000 (Temporal's own
 * convention), the worker's metrics at PORT + 5464 (9464 for 4000), the codec's CORS origin at the UI.
 */
export function derivePortDefaults(env: NodeJS.ProcessEnv): void {
  const apiPort = Number(env.PORT ?? 4000);
  const devPort = Number(env.TEMPORAL_DEV_PORT ?? 7233);
  if (Number.isInteger(devPort) && devPort + 1000 <= 65535) env.TEMPORAL_UI_PORT ??= String(devPort + 1000);
  if (Number.isInteger(apiPort)) env.TEMPORAL_METRICS_BIND_ADDRESS ??= `127.0.0.1:${apiPort + 5464 <= 65535 ? apiPort + 5464 : apiPort - 5464}`;
  // Worker and API share this process: the API's /metrics appends the worker's Temporal SDK metrics.
  env.WORKER_METRICS_URL ??= `http://${env.TEMPORAL_METRICS_BIND_ADDRESS}/metrics`;
  if (env.TEMPORAL_UI_PORT) env.CODEC_CORS_ORIGINS ??= `http://localhost:${env.TEMPORAL_UI_PORT}`;
}

/** Every port this `npm start` will listen on, with the variable that sets it. */
function portsToOpen(config: Config): PortUse[] {
  const ports: PortUse[] = [{ variable: 'PORT', port: config.port }];
  const metrics = config.metrics.temporalBindAddress?.split(':').pop();
  if (metrics) ports.push({ variable: 'TEMPORAL_METRICS_BIND_ADDRESS', port: Number(metrics) });
  if (!config.temporal.address) ports.push({ variable: 'TEMPORAL_DEV_PORT', port: config.temporal.devPort }, { variable: 'TEMPORAL_UI_PORT', port: config.temporal.uiPort });
  if (!config.databaseUrl) ports.push({ variable: 'EMBEDDED_POSTGRES_PORT', port: config.embeddedPostgresPort });
  if (!config.notifications.smtpUrl) {
    ports.push({ variable: 'MAIL_CATCHER_SMTP_PORT', port: config.notifications.mailCatcher.smtpPort }, { variable: 'MAIL_CATCHER_WEB_PORT', port: config.notifications.mailCatcher.webPort });
  }
  return ports.filter((p) => p.port !== 0);
}

/**
 * `npm start`: everything on one machine. A Temporal dev server (state in <data>/temporal.db) and
 * an embedded PostgreSQL (in <data>/postgres) unless TEMPORAL_ADDRESS / DATABASE_URL name real
 * ones, then migrations, one worker and the API. Ctrl-C stops it all; the data stays for next time.
 */
run(async () => {
  // Development defaults: callbacks to local receivers are fine on a laptop.
  process.env.CALLBACK_ALLOW_PRIVATE ??= 'true';
  // Ports not given follow the ones that are, so a second `npm start` on other ports collides with nothing.
  derivePortDefaults(process.env);
  let config = loadConfig();
  const ports = portsToOpen(config);
  try {
    // Before anything starts: a bad environment stops here with one line, and nothing is left running.
    await checkPorts(ports);
    fs.mkdirSync(config.dataDir, { recursive: true });
    checkFreeSpace(config.dataDir);
    if (!config.databaseUrl) checkClusterVersion(path.join(config.dataDir, 'postgres'));
  } catch (err) {
    throw new StartupError(environmentMessage(err, { dataDir: config.dataDir, ports }) ?? String((err as Error).message), { cause: err });
  }
  installTemporalRuntime({ metricsBindAddress: config.metrics.temporalBindAddress });
  const stops: (() => Promise<void>)[] = [];
  const say = (line: string) => process.stderr.write(`[start] ${line}\n`);
  /** Stops what has started, newest first; also after a failed start, so nothing is left running. */
  const stopAll = async () => {
    for (const stop of stops) {
      try {
        await stop();
      } catch (err) {
        logger.warn({ err }, 'error while stopping');
      }
    }
  };
  const signalled = shutdownSignal();
  try {

    // Every email Steward sends lands in a local mail catcher with a web page, unless SMTP_URL names a server.
    const mail = await embeddedMailCatcher(config);
    config = mail.config;
    if (mail.catcher) stops.unshift(() => mail.catcher!.close());

    let temporalAddress = config.temporal.address;
    let uiUrl: string | undefined;
    if (!temporalAddress) {
      say('starting Temporal dev server (first run may build the temporal CLI: a few minutes)...');
      const temporal = await startLocalTemporal({
        dbFilename: path.join(config.dataDir, 'temporal.db'),
        port: config.temporal.devPort,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        // The UI shows Steward's encrypted payloads decoded, through the API's codec endpoint.
        uiCodecEndpoint: `${config.publicBaseUrl}/codec/${codecAuthToken(config)}`,
        log: (l) => say(l),
      });
      stops.unshift(() => temporal.stop());
      temporalAddress = temporal.address;
      uiUrl = `http://localhost:${config.temporal.uiPort}`;
    }

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      say('starting embedded PostgreSQL...');
      const pg = await startEmbeddedPostgres({
        dir: path.join(config.dataDir, 'postgres'),
        port: config.embeddedPostgresPort,
        database: 'steward',
        persistent: true,
      });
      stops.unshift(() => pg.stop());
      databaseUrl = pg.url;
    }

    const deps = await buildDeps(config, { databaseUrl, temporalAddress });
    stops.unshift(() => closeDeps(deps));
    const applied = await migrateLatest(deps.db).catch((err) => {
      const line = unknownMigrationsMessage(err, config.databaseUrl ? 'at DATABASE_URL' : `in ${path.join(config.dataDir, 'postgres')}`);
      throw line ? new StartupError(line, { cause: err }) : err;
    });
    if (applied.length) say(`migrations applied: ${applied.join(', ')}`);

    await ensureSearchAttributes(deps.temporal!.connection as Connection, config.temporal.namespace);
    await ensureSchedules(deps.temporal!, { taskQueue: config.temporal.taskQueue });
    await wakeExpiryScheduler(deps.temporal!, config);
    const connection = await NativeConnection.connect({ address: temporalAddress });
    const worker = await createWorker(deps, connection, { namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, workflowBundlePath: config.temporal.workflowBundlePath });
    const workerDone = worker.run();
    stops.unshift(async () => {
      worker.shutdown();
      await workerDone;
      await connection.close();
    });

    const api = await listen(deps, config.port);
    stops.unshift(() => api.close());

    const lines = [
      '',
      'Steward is running:',
      `  GraphQL API   ${config.publicBaseUrl}/query   (token: npm run admin -- token --org <org> --email <you> --roles Owner)`,
      `  Health        ${config.publicBaseUrl}/healthz   (liveness /livez, readiness /readyz)`,
      `  Metrics       ${config.publicBaseUrl}/metrics   (API + worker; worker alone: ${config.metrics.workerUrl})`,
      config.env === 'development' ? `  GraphiQL      ${config.publicBaseUrl}/graphiql` : undefined,
      `  OpenAPI       ${config.publicBaseUrl}/openapi.json`,
      `  Temporal      ${temporalAddress}   namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`,
      uiUrl ? `  Temporal UI   ${uiUrl}` : undefined,
      mail.catcher ? `  Mail catcher  ${mail.catcher.webUrl}   (every email Steward sends; SMTP ${mail.catcher.smtpUrl})` : `  SMTP          ${config.notifications.smtpUrl!.replace(/\/\/([^:@/]+):[^@]+@/, '//$1:***@')}`,
      `  PostgreSQL    ${databaseUrl.replace(/\/\/([^:]+):[^@]+@/, '//$1:***@')}`,
      `  Data folder   ${config.dataDir}`,
      'Press Ctrl-C to stop.',
      '',
    ];
    process.stdout.write(lines.filter((l) => l !== undefined).join('\n') + '\n');
  } catch (err) {
    say('start-up failed; stopping what had started');
    await stopAll();
    const line = environmentMessage(err, { dataDir: config.dataDir, ports });
    throw line ? new StartupError(line, { cause: err }) : err;
  }

  const signal = await signalled;
  say(`${signal}: stopping...`);
  await stopAll();
  say('stopped.');
  process.exit(0);
});
