// Finds (or builds) the `temporal` CLI used as Steward's local dev server.
//
// The SDK's default `{ type: 'cached-download' }` fetches the CLI from temporal.download,
// which is unreachable on machines that only reach package registries. Those machines
// usually have Go + the Go module proxy, so we build the CLI from source once into the
// shared cache. Returning undefined means "let the SDK download it" (works with internet).
import fs from 'fs';
import path from 'path';
import {
  executableFromEnv,
  findOnPath,
  isExecutableFile,
  type Log,
  runWithProgress,
  stewardCacheDir,
  withCacheLock,
} from './cacheDir';

/**
 * Pinned CLI version. Later tags carry a `replace` directive in go.mod, which
 * `go install module@version` refuses, so they cannot be built this way.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

/** Where a locally built CLI lives. */
export function cachedTemporalCliPath(): string {
  return path.join(stewardCacheDir(), 'bin', 'temporal');
}

/**
 * Absolute path to a `temporal` CLI, first hit wins:
 *   1. $TEMPORAL_CLI_PATH (must be an executable file, else throws)
 *   2. `temporal` on $PATH
 *   3. <cache>/bin/temporal
 *   4. `go install …@v1.5.1` into <cache>/bin (only if `go` is on $PATH)
 * undefined -> caller should fall back to the SDK's `{ type: 'cached-download' }`.
 */
export async function resolveTemporalCli(log: Log = console.error): Promise<string | undefined> {
  const fromEnv = executableFromEnv('TEMPORAL_CLI_PATH');
  if (fromEnv) return fromEnv;

  const onPath = findOnPath('temporal');
  if (onPath) return onPath;

  const cached = cachedTemporalCliPath();
  if (isExecutableFile(cached)) return cached;

  const go = findOnPath('go');
  if (!go) {
    log('[temporal-cli] no TEMPORAL_CLI_PATH, no `temporal` on PATH, no cached build and no `go` to build one; falling back to SDK download');
    return undefined;
  }
  return withCacheLock('temporal-cli', log, async () => {
    // Whoever held the lock before us was most likely building this very binary.
    if (isExecutableFile(cached)) return cached;
    return buildTemporalCli(go, cached, log);
  });
}

/** `go install` into a private temp GOBIN, then rename into place: a killed build leaves no half binary. */
async function buildTemporalCli(go: string, target: string, log: Log): Promise<string | undefined> {
  const binDir = path.dirname(target);
  fs.mkdirSync(binDir, { recursive: true });
  // We hold the lock, so any leftover temp GOBINs are from interrupted builds.
  for (const entry of fs.readdirSync(binDir)) {
    if (entry.startsWith('.build-')) fs.rmSync(path.join(binDir, entry), { recursive: true, force: true });
  }
  const tmpBin = fs.mkdtempSync(path.join(binDir, '.build-'));
  log(`[temporal-cli] building ${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION} with ${go} into ${binDir} (first time only; several minutes on a cold Go cache)`);
  try {
    const code = await runWithProgress(
      go,
      [
        'install',
        '-v', // one line per compiled package: visible progress
        // -s -w: drop debug info (252MB -> 213MB, mostly embedded UI); -X: report 1.5.1, not 0.0.0-DEV
        `-ldflags=-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.replace(/^v/, '')}`,
        `${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION}`,
      ],
      { label: 'temporal-cli build', log, env: { ...process.env, GOBIN: tmpBin } },
    );
    const built = path.join(tmpBin, 'temporal');
    if (code !== 0 || !isExecutableFile(built)) {
      log(`[temporal-cli] go install failed (exit ${code}); falling back to SDK download`);
      return undefined;
    }
    fs.renameSync(built, target);
    log(`[temporal-cli] installed ${target}`);
    return target;
  } finally {
    fs.rmSync(tmpBin, { recursive: true, force: true });
  }
}
