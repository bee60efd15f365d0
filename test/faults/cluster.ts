import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDeps, closeDeps, listen } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { migrateLatest } from '../../src/db/knex';
import type { Deps } from '../../src/deps';
import { freePort } from '../../src/dev/freePort';
import { ServiceProcess, WorkerProcess } from '../../src/dev/workerProcess';
import { startPostgresProcess, PostgresProcess } from '../helpers/postgresProcess';
import { CallbackReceiver } from '../helpers/receiver';
import { TemporalProcess } from '../helpers/temporalProcess';

/**
 * One fault scenario's own Steward, every part a real process the scenario may kill: a Temporal dev
 * server (SQLite file, fixed port, so it restarts on the same state), a PostgreSQL cluster, workers
 * (`npm run worker`) and, in this process, the API and a callback receiver. Nothing is shared with
 * the rest of the suite, whose servers must not feel these faults.
 */
export interface FaultCluster {
  temporal: TemporalProcess;
  postgres: PostgresProcess;
  /** The in-process API's dependencies (also the test's view of the database and Temporal). */
  deps: Deps;
  baseUrl: string;
  taskQueue: string;
  receiver: CallbackReceiver;
  receiverUrl: string;
  /** What a Steward process (worker, API) of this cluster needs in its environment. */
  env: Record<string, string>;
  startWorker(): Promise<WorkerProcess>;
  /** SIGKILLs the Temporal server and starts it again on the same database file and port. */
  restartTemporal(downMs?: number): Promise<void>;
  /** Tracks a process so close() kills it. */
  track<P extends ServiceProcess>(p: P): P;
  close(): Promise<void>;
}

export async function startFaultCluster(): Promise<FaultCluster> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-fault-'));
  const temporal = new TemporalProcess({ port: await freePort(), dbFilename: path.join(scratch, 'temporal.db') });
  const [postgres] = await Promise.all([startPostgresProcess(), temporal.start()]);
  const taskQueue = `fault-${crypto.randomUUID()}`;
  const env = { DATABASE_URL: postgres.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE_PATH: process.env.STEWARD_TEST_WORKFLOW_BUNDLE! };
  const config = loadConfig({ ...process.env, ...env });
  const deps = await buildDeps(config, { databaseUrl: postgres.url, temporalAddress: temporal.address });
  await migrateLatest(deps.db);
  const api = await listen(deps, 0);
  const receiver = new CallbackReceiver();
  const receiverUrl = await receiver.start();
  const processes: ServiceProcess[] = [];
  const track = <P extends ServiceProcess>(p: P) => (processes.push(p), p);
  return {
    temporal,
    postgres,
    deps,
    baseUrl: `http://127.0.0.1:${api.port}`,
    taskQueue,
    receiver,
    receiverUrl,
    env,
    track,
    async startWorker() {
      const w = track(new WorkerProcess(env));
      await w.start();
      return w;
    },
    async restartTemporal(downMs = 0) {
      await temporal.kill('SIGKILL');
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await temporal.start();
    },
    async close() {
      for (const p of processes) await p.kill('SIGKILL').catch(() => undefined);
      await receiver.close();
      await api.close();
      await closeDeps(deps).catch(() => undefined);
      await temporal.kill('SIGTERM');
      await postgres.stop();
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * The fault cluster of one test file: started before its tests and closed after them. The object
 * returned is filled in by that beforeAll, so tests use it as they would the cluster itself.
 */
export function useFaultCluster(): FaultCluster {
  const c = {} as FaultCluster;
  beforeAll(async () => {
    Object.assign(c, await startFaultCluster());
  }, 120_000);
  afterAll(async () => {
    await c.close?.();
  });
  return c;
}

/** A random moment between `min` and `max` (inclusive): where in the job the fault strikes. */
export function randomBetween(min: number, max: number): number {
  return crypto.randomInt(min, max + 1);
}

/** Seconds since `startedAt`, for the scenario's log line. */
export function say(line: string): void {
  process.stderr.write(`[fault] ${line}\n`);
}
