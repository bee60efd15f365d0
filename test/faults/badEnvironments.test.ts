import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDb, migrateLatest } from '../../src/db/knex';
import { freePort } from '../../src/dev/freePort';
import { embeddedPostgresMajor } from '../../src/dev/preflight';
import { eventually } from '../helpers/harness';
import { startPostgresProcess } from '../helpers/postgresProcess';
import { processesMentioning, StartProcess } from './startProcess';

/**
 * `npm start` in environments a new user may have: each bad one stops it with one line saying what
 * to do, and nothing is left running; two instances on different ports both run.
 */
describe('npm start in bad environments', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-env-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) {
      // mkdtemp folders are 0700: under root the clusters of the two-starts test live in /var/tmp behind .data links.
      const link = path.join(d, 'postgres');
      if (fs.existsSync(link) && fs.lstatSync(link).isSymbolicLink()) fs.rmSync(fs.realpathSync(link), { recursive: true, force: true });
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  /** Free ports for everything one `npm start` opens. */
  async function ports() {
    const [api, dev, ui, pg, metrics, smtp, web] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    return {
      PORT: String(api),
      TEMPORAL_DEV_PORT: String(dev),
      TEMPORAL_UI_PORT: String(ui),
      EMBEDDED_POSTGRES_PORT: String(pg),
      TEMPORAL_METRICS_BIND_ADDRESS: `127.0.0.1:${metrics}`,
      MAIL_CATCHER_SMTP_PORT: String(smtp),
      MAIL_CATCHER_WEB_PORT: String(web),
    };
  }

  /** Runs a start that must fail: exit code 1, exactly one line of output, nothing of it left running. */
  async function expectOneLine(env: Record<string, string>, dir: string): Promise<string> {
    const start = new StartProcess({ STEWARD_DATA_DIR: dir, ...env });
    const code = await start.exited;
    const lines = start.lines().filter((l) => !l.startsWith('[start]')); // progress lines of what was started, then stopped
    expect({ code, lines: lines.length }).toEqual({ code: 1, lines: 1 });
    expect(processesMentioning(dir)).toEqual([]);
    return lines[0];
  }

  it.each(['PORT', 'TEMPORAL_DEV_PORT', 'EMBEDDED_POSTGRES_PORT', 'TEMPORAL_METRICS_BIND_ADDRESS'])('a port already in use (%s): one line naming it', async (variable) => {
    const env = await ports();
    const busy = net.createServer();
    const port = Number((env as Record<string, string>)[variable].split(':').pop());
    await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
    try {
      const line = await expectOneLine(env, dataDir());
      expect(line).toBe(`port ${port} (${variable}) is already in use: stop what listens there, or set ${variable} to a free port`);
    } finally {
      busy.close();
    }
  });

  it('a stale .data/ whose PostgreSQL cluster is of an older major version: one line saying what to do', async () => {
    const dir = dataDir();
    fs.mkdirSync(path.join(dir, 'postgres'));
    fs.writeFileSync(path.join(dir, 'postgres', 'PG_VERSION'), '15\n');
    const line = await expectOneLine(await ports(), dir);
    expect(line).toBe(
      `${path.join(dir, 'postgres')} holds a PostgreSQL 15 cluster from an older Steward; this one embeds PostgreSQL ${embeddedPostgresMajor()}: ` +
        'move that folder away (pg_dump it with PostgreSQL 15 first if you need its data) and start again',
    );
  });

  it('a database migrated by another version: one line, and the Temporal server it had started is stopped', async () => {
    const pg = await startPostgresProcess();
    const db = createDb(pg.url);
    try {
      await migrateLatest(db);
      await db('knex_migrations').insert({ name: '20991231000000_from_the_future', batch: 99, migration_time: new Date() });
      const dir = dataDir();
      // Embedded Temporal (started before the migrations run) and this database.
      const line = await expectOneLine({ ...(await ports()), DATABASE_URL: pg.url }, dir);
      expect(line).toBe(
        'the database at DATABASE_URL was migrated by another version of Steward (migrations this one does not know: 20991231000000_from_the_future): ' +
          'start that version, or point STEWARD_DATA_DIR / DATABASE_URL elsewhere',
      );
      expect(fs.existsSync(path.join(dir, 'temporal.db'))).toBe(true); // it had really started the Temporal server
    } finally {
      await db.destroy();
      await pg.stop();
    }
  }, 180_000);

  // A full disk needs a small filesystem: a tmpfs, which only root may mount (CI runs as root).
  const canMount = process.getuid?.() === 0;
  (canMount ? it : it.skip)('a full disk for the data folder: one line saying how much is free and what to do', async () => {
    const mountPoint = dataDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mountPoint]);
    try {
      const dir = path.join(mountPoint, 'data');
      const line = await expectOneLine(await ports(), dir);
      expect(line).toMatch(
        new RegExp(`^only \\d+ MB free on the disk of the data folder ${dir}: Steward's embedded services need at least 200 MB; free some space, or set STEWARD_DATA_DIR to a folder on another disk$`),
      );
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });

  it('two npm starts with different ports both run (worker metrics, Temporal UI and mail catcher ports follow PORT and TEMPORAL_DEV_PORT)', async () => {
    const starts = await Promise.all(
      [0, 1].map(async () => {
        const [api, dev, pg] = await Promise.all([freePort(), freePort(), freePort()]);
        return { api, start: new StartProcess({ STEWARD_DATA_DIR: dataDir(), PORT: String(api), TEMPORAL_DEV_PORT: String(dev), EMBEDDED_POSTGRES_PORT: String(pg) }) };
      }),
    );
    try {
      await Promise.all(starts.map((s) => s.start.running()));
      for (const { api, start } of starts) {
        expect(start.stdout).toContain(`worker alone: http://127.0.0.1:${api + 5464 <= 65535 ? api + 5464 : api - 5464}/metrics`);
        const ready = await fetch(`http://127.0.0.1:${api}/readyz`);
        expect(ready.status).toBe(200);
        // This instance's own worker's metrics, from its own port.
        await eventually(async () => (/^temporal_worker_task_slots_available/m.test(await (await fetch(`http://127.0.0.1:${api}/metrics`)).text()) ? true : undefined), 30_000, 500);
      }
    } finally {
      const stopped = await Promise.all(starts.map(async (s) => ({ code: await s.start.stop(), output: s.start.stderr.slice(-1500) })));
      for (const s of stopped) if (s.code !== 0) throw new Error(`npm start exited with ${s.code} on Ctrl-C:\n${s.output}`);
    }
  }, 300_000);
});
