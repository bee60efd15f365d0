import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, migrateLatest } from '../../src/db/knex';
import { startEmbeddedPostgres } from '../../src/dev/embeddedPostgres';
import { startLocalTemporal } from '../../src/dev/localTemporal';
import { prepareClassArchive, resolveTimeSkippingServer } from '../../src/dev/timeSkippingServer';
import { bundleWorkflows } from '../../src/temporal/worker';
import { freePort } from '../../src/dev/freePort';

/**
 * Starts the real services the suite runs against, once: a Temporal dev server and an embedded
 * PostgreSQL (unless TEMPORAL_ADDRESS / DATABASE_URL are given), migrations, the workflow bundle
 * (built once, outside Jest's transform) and the time-skipping test server executable.
 * Test files read the results from the environment (see test/helpers/env.ts).
 */
const log = (line: string) => process.stderr.write(`[test setup] ${line}\n`);

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-test-'));
  fs.chmodSync(scratch, 0o755); // PostgreSQL runs as the postgres user and must reach its folder
  const stops: (() => Promise<void>)[] = [];
  (globalThis as Record<string, unknown>).__stewardStops = stops;
  (globalThis as Record<string, unknown>).__stewardScratch = scratch;

  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL ??= 'warn';
  process.env.STEWARD_DATA_DIR = path.join(scratch, 'data');
  process.env.JWT_SECRET ??= crypto.randomBytes(32).toString('hex');
  process.env.PASS_LINK_KEY ??= crypto.randomBytes(32).toString('base64');
  process.env.PAYLOAD_ENCRYPTION_KEY ??= crypto.randomBytes(32).toString('base64');
  process.env.CALLBACK_ALLOW_PRIVATE = 'true';

  const [testServer, temporalAddress, databaseUrl, bundle] = await Promise.all([
    resolveTimeSkippingServer(log).then(async (server) => {
      await prepareClassArchive(server, log);
      return server;
    }),
    (async () => {
      if (process.env.TEMPORAL_ADDRESS) return process.env.TEMPORAL_ADDRESS;
      const temporal = await startLocalTemporal({ log });
      stops.push(() => temporal.stop());
      return temporal.address;
    })(),
    (async () => {
      if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
      const pg = await startEmbeddedPostgres({
        dir: path.join(scratch, 'postgres'),
        port: await freePort(),
        database: 'steward_test',
        persistent: false,
      });
      stops.push(() => pg.stop());
      return pg.url;
    })(),
    // Steward's workflows plus the test-only ones (test/workflows: scheduledPing).
    bundleWorkflows({ info() {}, warn: log, error: log, debug() {}, trace() {}, log() {} }, require.resolve('../workflows')),
  ]);

  const db = createDb(databaseUrl);
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
  const bundlePath = path.join(scratch, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  process.env.TEMPORAL_ADDRESS = temporalAddress;
  process.env.DATABASE_URL = databaseUrl;
  process.env.STEWARD_TEST_WORKFLOW_BUNDLE = bundlePath;
  if (testServer) process.env.TEMPORAL_TEST_SERVER_PATH = testServer;
  log(`Temporal ${temporalAddress}, PostgreSQL ready, bundle built, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
