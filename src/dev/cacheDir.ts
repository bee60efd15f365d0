// Steward's per-machine dev-tool cache (temporal CLI, Java time-skipping test server).
//
// The cache lives outside the repo so every clone / worktree on the same machine reuses
// the multi-minute builds. Besides the location, this module holds the small helpers the
// tool resolvers share: PATH lookup, a cross-process lock so concurrent callers (jest
// global setup + `npm start`) don't build twice, and a streaming runner so long builds
// show progress instead of looking hung.
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import readline from 'readline';

export type Log = (line: string) => void;

/** `$STEWARD_CACHE_DIR`, else `~/.cache/steward`; always absolute. */
export function stewardCacheDir(): string {
  const fromEnv = process.env.STEWARD_CACHE_DIR;
  return path.resolve(fromEnv && fromEnv.trim() !== '' ? fromEnv : path.join(os.homedir(), '.cache', 'steward'));
}

/** True if `p` is a regular file (symlinks followed) that this process may execute. */
export function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of the first executable `name` on `$PATH` (like `which`), or undefined. */
export function findOnPath(name: string, searchPath: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue; // an empty entry would mean cwd; don't pick up ./temporal by accident
    const candidate = path.resolve(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Value of an env var that overrides tool discovery. Unset/empty -> undefined. Set but not an
 * executable file -> throw: a typo there should fail loudly rather than silently fall back
 * to a different binary (or to a download that cannot work offline).
 */
export function executableFromEnv(variable: string): string | undefined {
  const raw = process.env[variable];
  if (raw === undefined || raw.trim() === '') return undefined;
  const resolved = path.resolve(raw);
  if (!fs.existsSync(resolved)) {
    throw new Error(`${variable} is set to "${raw}" but no file exists there; fix or unset ${variable}`);
  }
  if (!isExecutableFile(resolved)) {
    throw new Error(`${variable} is set to "${raw}" but it is not an executable file (chmod +x?); fix or unset ${variable}`);
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------
// Cross-process lock: an exclusively-created file holding "pid host time". A lock whose
// owner pid is gone on this host (crash, Ctrl-C, kill -9) is stale and taken over, so an
// interrupted build never wedges later runs. Callers must re-check the cache after
// acquiring: the previous holder has usually just produced what they wanted.
// ---------------------------------------------------------------------------------------

const LOCK_POLL_MS = 500;
const LOCK_WAIT_LOG_MS = 15_000;
const LOCK_MAX_WAIT_MS = 60 * 60_000; // a cold go build is minutes, not an hour
const FOREIGN_HOST_STALE_MS = 2 * 60 * 60_000; // can't probe pids on other hosts (shared $HOME)

function lockIsStale(lockPath: string): { stale: boolean; owner: string } {
  let content: string;
  try {
    content = fs.readFileSync(lockPath, 'utf8');
  } catch {
    return { stale: false, owner: 'unknown' }; // vanished or unreadable: just retry
  }
  const [pidText, host, startedText] = content.trim().split(/\s+/);
  const pid = Number(pidText);
  const owner = `pid ${pidText ?? '?'} on ${host ?? '?'}`;
  if (!Number.isInteger(pid) || pid <= 0) return { stale: true, owner };
  if (host !== os.hostname()) {
    return { stale: Date.now() - Number(startedText) > FOREIGN_HOST_STALE_MS, owner };
  }
  try {
    process.kill(pid, 0); // signal 0 = existence probe
    return { stale: false, owner };
  } catch (err) {
    // EPERM means it exists but belongs to someone else: still alive.
    return { stale: (err as NodeJS.ErrnoException).code === 'ESRCH', owner };
  }
}

/** Run `fn` while holding `<cache>/locks/<name>.lock`, waiting for other holders first. */
export async function withCacheLock<T>(name: string, log: Log, fn: () => Promise<T>): Promise<T> {
  const lockDir = path.join(stewardCacheDir(), 'locks');
  fs.mkdirSync(lockDir, { recursive: true });
  const lockPath = path.join(lockDir, `${name}.lock`);
  const waitStart = Date.now();
  let lastWaitLog: number | undefined;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx'); // O_CREAT|O_EXCL: atomic test-and-set
      fs.writeSync(fd, `${process.pid} ${os.hostname()} ${Date.now()}\n`);
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const { stale, owner } = lockIsStale(lockPath);
    if (stale) {
      log(`[steward-cache] removing stale lock ${lockPath} (${owner} is gone)`);
      fs.rmSync(lockPath, { force: true });
      continue;
    }
    const waited = Date.now() - waitStart;
    if (waited > LOCK_MAX_WAIT_MS) {
      throw new Error(`timed out after ${Math.round(waited / 1000)}s waiting for ${lockPath} (held by ${owner}); delete it if that process is stuck`);
    }
    if (lastWaitLog === undefined || Date.now() - lastWaitLog >= LOCK_WAIT_LOG_MS) {
      log(`[steward-cache] waiting for ${name}: another process (${owner}) is building it… ${Math.round(waited / 1000)}s`);
      lastWaitLog = Date.now();
    }
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}

/** Unique sibling temp name for write-then-rename installs (same dir => same filesystem => atomic rename). */
export function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${Date.now()}`);
}

/** Write `content` to `target` atomically (temp file + rename) with the given mode. */
export function writeFileAtomic(target: string, content: string, mode = 0o644): void {
  const tmp = tempSibling(target);
  try {
    fs.writeFileSync(tmp, content, { mode });
    fs.chmodSync(tmp, mode); // writeFileSync's mode is filtered by umask
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// Long-running build step with visible progress.
// ---------------------------------------------------------------------------------------

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\x1b\[[0-9;]*[A-Za-z]/g;

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Prefix for every forwarded line, e.g. "temporal-cli build". */
  label: string;
  log: Log;
  /** Interval of the "still building… Ns" heartbeat. */
  heartbeatMs?: number;
}

/** Spawn `cmd args`, forward its stdout/stderr line by line with a prefix, resolve to its exit code. */
export function runWithProgress(cmd: string, args: string[], opts: RunOptions): Promise<number> {
  const { label, log } = opts;
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false; // 'error' (e.g. ENOENT) can be followed by 'close'
    const finish = (code: number, message: string) => {
      if (settled) return;
      settled = true;
      clearInterval(heartbeat);
      log(`[${label}] ${message} after ${Math.round((Date.now() - started) / 1000)}s`);
      resolve(code);
    };
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const heartbeat = setInterval(
      () => log(`[${label}] still building… ${Math.round((Date.now() - started) / 1000)}s`),
      opts.heartbeatMs ?? 15_000,
    );
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (raw) => {
        const line = raw.replace(ANSI_ESCAPE, '').trimEnd(); // Debian's mvn emits colour resets even with -B
        if (line !== '') log(`[${label}] ${line}`);
      });
    }
    child.on('error', (err) => finish(-1, `failed to start ${cmd}: ${err.message}`));
    child.on('close', (code, signal) =>
      finish(code ?? -1, code === 0 ? 'finished' : `failed (${signal ?? `exit ${code}`})`),
    );
  });
}
