import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/dev/freePort';
import { processesMentioning, StartProcess } from './startProcess';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * A clone in a folder only its owner may enter (`mktemp -d` is 0700, like /root): under root the
 * embedded PostgreSQL runs as the postgres user, who can reach neither the binaries in node_modules
 * nor the cluster in .data/. `npm start` must still run there.
 */
describe('npm start from a clone in a 0700 folder', () => {
  const outer = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-0700-'));
  const clone = path.join(outer, 'steward');
  afterAll(() => {
    // The cluster outside the clone (a failed run too).
    const link = path.join(clone, '.data', 'postgres');
    if (fs.existsSync(link) && fs.lstatSync(link).isSymbolicLink()) fs.rmSync(fs.realpathSync(link), { recursive: true, force: true });
    fs.rmSync(outer, { recursive: true, force: true });
  });

  (process.getuid?.() === 0 ? it : it.skip)('starts, serves, stops; binaries and cluster are used where the postgres user reaches them', async () => {
    expect(fs.statSync(outer).mode & 0o777).toBe(0o700);
    // The clone: this working tree's files (as `git clone` would give them) and its installed node_modules (hard links: fast, same files).
    execFileSync('git', ['clone', '-q', '--no-hardlinks', ROOT, clone]);
    execFileSync('git', ['-C', clone, 'checkout', '-q', '--detach']);
    for (const f of execFileSync('git', ['-C', ROOT, 'ls-files', '-m', '-o', '--exclude-standard'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(clone, f)); // uncommitted work too, so the test runs what is being tested
    }
    execFileSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules')]);

    const [api, dev, pg] = await Promise.all([freePort(), freePort(), freePort()]);
    const start = new StartProcess({ PORT: String(api), TEMPORAL_DEV_PORT: String(dev), EMBEDDED_POSTGRES_PORT: String(pg) }, { cwd: clone });
    let code: number | null = null;
    let cluster = '';
    try {
      await start.running();
      expect((await fetch(`http://127.0.0.1:${api}/readyz`)).status).toBe(200);
      // The cluster lives outside the closed folder; .data/postgres leads to it.
      const link = path.join(clone, '.data', 'postgres');
      expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
      cluster = fs.realpathSync(link);
      expect(cluster.startsWith('/var/tmp/steward-postgres/')).toBe(true);
      expect(fs.existsSync(path.join(link, 'PG_VERSION'))).toBe(true);
    } finally {
      code = await start.stop();
    }
    expect(code).toBe(0);
    expect(processesMentioning(clone)).toEqual([]);
    expect(processesMentioning(cluster)).toEqual([]);
  }, 300_000);
});
