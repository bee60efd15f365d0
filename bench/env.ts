import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDeps, closeDeps } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import { createDb, migrateLatest } from '../src/db/knex';
import type { Deps } from '../src/deps';
import { startEmbeddedPostgres } from '../src/dev/embeddedPostgres';
import { freePort } from '../src/dev/freePort';
import { startLocalTemporal } from '../src/dev/localTemporal';
import { ApiProcess, ServiceProcess, WorkerProcess } from '../src/dev/workerProcess';
import { signUserToken } from '../src/auth/tokens';
import { createOrganisation } from '../src/services/organisations';
import { createPassDesign, defaultPresentation } from '../src/services/passDesigns';
import { installTemporalRuntime } from '../src/temporal/runtime';
import { bundleWorkflows } from '../src/temporal/worker';
import { stopInReverse, stopOnInterrupt } from './interrupt';

export interface BenchEnv {
  deps: Deps;
  baseUrl: string;
  scratch: string;
  /** The API as its own process (`npm run api`), so its memory can be measured. */
  api: ServiceProcess;
  workers: WorkerProcess[];
  /** Ports of the embedded PostgreSQL and the Temporal dev server (to find their processes). */
  ports: { postgres: number; temporal: number };
  /** Starts one more worker process on the same task queue. */
  addWorker(): Promise<WorkerProcess>;
  /** Stops the last worker process started (SIGTERM: it finishes or hands back what it holds). */
  removeWorker(): Promise<void>;
  close(): Promise<void>;
}

/** BENCH_LOG_DIR: each service's whole output is kept there (e.g. to see why a worker exited mid-run). */
function keepLog(p: ServiceProcess, name: string): void {
  const dir = process.env.BENCH_LOG_DIR;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${Date.now()}.log`);
  p.onOutput = (chunk) => fs.appendFileSync(file, chunk);
}

/**
 * Real services for a benchmark, as in production: a Temporal dev server, an embedded PostgreSQL,
 * the API and the worker(s) as their own processes (so their memory can be measured). `deps` here
 * is a client of the same database and Temporal, for setting up and checking.
 */
export async function startBenchEnv(): Promise<BenchEnv> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-bench-'));
  fs.chmodSync(scratch, 0o755);
  process.env.LOG_LEVEL ??= 'warn';
  process.env.STEWARD_DATA_DIR = path.join(scratch, 'data');
  process.env.JWT_SECRET ??= crypto.randomBytes(32).toString('hex');
  process.env.PASS_LINK_KEY ??= crypto.randomBytes(32).toString('base64');
  process.env.CALLBACK_ALLOW_PRIVATE = 'true';
  process.env.TEMPORAL_TASK_QUEUE = 'bench';
  installTemporalRuntime();

  // What has started so far, stopped in reverse order by close() (also when a later step fails).
  const stops: (() => Promise<unknown>)[] = [async () => fs.rmSync(scratch, { recursive: true, force: true })];
  const close = async () => {
    forget();
    await stopInReverse(stops.splice(0));
  };
  const forget = stopOnInterrupt(close);
  try {
    const temporal = await startLocalTemporal({ log: () => undefined });
    stops.push(() => temporal.stop());
    const postgresPort = await freePort();
    // BENCH_PG_STATEMENTS: load pg_stat_statements, so a bench can print what PostgreSQL spent a phase on.
    const settings = process.env.BENCH_PG_STATEMENTS ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : undefined;
    const pg = await startEmbeddedPostgres({ dir: path.join(scratch, 'pg'), port: postgresPort, database: 'bench', persistent: false, settings });
    stops.push(() => pg.stop());
    const db = createDb(pg.url);
    await migrateLatest(db);
    await db.destroy();
    const bundle = await bundleWorkflows({ info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} });
    const bundlePath = path.join(scratch, 'bundle.js');
    fs.writeFileSync(bundlePath, bundle.code);

    process.env.DATABASE_URL = pg.url;
    process.env.TEMPORAL_ADDRESS = temporal.address;
    const config = loadConfig();
    const deps = await buildDeps(config, { databaseUrl: pg.url, temporalAddress: temporal.address });
    stops.push(() => closeDeps(deps));
    const port = await freePort();
    const api = new ApiProcess({ PORT: String(port) });
    keepLog(api, 'api');
    stops.push(() => api.kill('SIGTERM'));
    await api.start();
    const workers: WorkerProcess[] = [];
    const addWorker = async () => {
      const worker = new WorkerProcess({ WORKFLOW_BUNDLE_PATH: bundlePath, ...(process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {}) });
      keepLog(worker, `worker-${workers.length + 1}`);
      stops.push(() => worker.kill('SIGTERM'));
      await worker.start();
      workers.push(worker);
      return worker;
    };
    const removeWorker = async () => {
      await workers.pop()?.kill('SIGTERM');
    };
    await addWorker();
    return {
      deps,
      baseUrl: `http://127.0.0.1:${port}`,
      scratch,
      api,
      workers,
      ports: { postgres: postgresPort, temporal: Number(temporal.address.split(':').pop()) },
      addWorker,
      removeWorker,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A benchmark's organisation with one pass design ("Bench Pass") and an Owner's API token. */
export async function createBenchOrg(deps: Deps, o: { id: string; name: string; prefix: string; fields: string[]; callbackUrl?: string }) {
  const org = await createOrganisation(deps.db, { id: o.id, name: o.name, ...(o.callbackUrl ? { callbackUrl: o.callbackUrl } : {}) });
  const design = await createPassDesign(deps.db, {
    organisationId: org.id, title: 'Bench Pass', prefix: o.prefix, dynamicFieldKeys: o.fields, actor: 'bench',
    presentation: defaultPresentation(org.name, 'Bench Pass', o.fields, deps.config.publicBaseUrl),
  });
  const token = await signUserToken(deps.jwtKeys, { org: org.id, email: 'bench@example.test', roles: ['Owner'] }, deps.config.jwt);
  return { org, design, token };
}
