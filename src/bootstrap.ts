import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './api/app';
import { loadJwtKeys } from './auth/keys';
import type { Config } from './config';
import { createDb } from './db/knex';
import type { Deps } from './deps';
import { connectClient } from './temporal/client';
import { stewardDataConverter } from './temporal/codec';
import { installTracing } from './telemetry/tracing';
import { closeSharedChannels } from './notifications/channels';
import { MatchCountCache } from './services/dci/matchCounts';
import { FilterIndexes } from './services/dci/filterIndex';

export interface Endpoints {
  databaseUrl: string;
  temporalAddress?: string;
}

/** Builds the shared dependencies from configuration plus the resolved service addresses. */
export async function buildDeps(config: Config, endpoints: Endpoints): Promise<Deps> {
  const db = createDb(endpoints.databaseUrl);
  const jwtKeys = await loadJwtKeys(config);
  const tracing = installTracing(config);
  const temporal = endpoints.temporalAddress
    ? await connectClient({ address: endpoints.temporalAddress, namespace: config.temporal.namespace, dataConverter: stewardDataConverter(config), tracing })
    : undefined;
  const filterIndexes = config.dci.filterIndex.enabled ? new FilterIndexes(db, config.dci.filterIndex.refreshMs) : undefined;
  return { config: { ...config, databaseUrl: endpoints.databaseUrl }, db, jwtKeys, temporal, tracing, matchCounts: new MatchCountCache(), filterIndexes };
}

export async function closeDeps(deps: Deps): Promise<void> {
  await deps.temporal?.connection.close();
  await deps.filterIndexes?.settle();
  await deps.db.destroy();
  closeSharedChannels();
  // Sends the spans still batched.
  await deps.tracing?.shutdown();
}

/** Starts the HTTP API; resolves once it listens. */
export async function listen(deps: Deps, port: number): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const server = http.createServer(createApp(deps));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
