// Resolution order of the dev-tool resolvers, exercised against real temp files: fake
// executables, a temp STEWARD_CACHE_DIR and a controlled PATH. "Builds" use fake `go` /
// `mvn` / `java` shell scripts, so no real compiler or network is touched.
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { findOnPath, stewardCacheDir, withCacheLock } from '../../src/dev/cacheDir';
import { cachedTemporalCliPath, resolveTemporalCli, TEMPORAL_CLI_VERSION } from '../../src/dev/temporalCli';
import { cachedTestServerPath, resolveTimeSkippingServer, testServerDir } from '../../src/dev/timeSkippingServer';

const ENV_KEYS = ['PATH', 'STEWARD_CACHE_DIR', 'TEMPORAL_CLI_PATH', 'TEMPORAL_TEST_SERVER_PATH'] as const;
const savedEnv: Partial<Record<string, string>> = {};

let tmp: string;
let logs: string[];
const log = (line: string): void => {
  logs.push(line);
};

/** Create an executable (or not) file with the given shell body. */
function writeScript(file: string, body = 'exit 0', mode = 0o755): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\nPATH=/usr/bin:/bin\n${body}\n`);
  fs.chmodSync(file, mode);
  return file;
}

/** A directory to put on PATH. */
function binDir(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

beforeEach(() => {
  for (const key of ENV_KEYS) savedEnv[key] = process.env[key];
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'steward-devtools-')));
  logs = [];
  process.env.STEWARD_CACHE_DIR = path.join(tmp, 'cache');
  process.env.PATH = binDir('empty-path'); // nothing real (no go/mvn/java/temporal) unless a test adds it
  delete process.env.TEMPORAL_CLI_PATH;
  delete process.env.TEMPORAL_TEST_SERVER_PATH;
});

afterEach(() => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('stewardCacheDir', () => {
  it('uses STEWARD_CACHE_DIR when set', () => {
    expect(stewardCacheDir()).toBe(path.join(tmp, 'cache'));
  });

  it('defaults to ~/.cache/steward', () => {
    delete process.env.STEWARD_CACHE_DIR;
    expect(stewardCacheDir()).toBe(path.join(os.homedir(), '.cache', 'steward'));
  });
});

describe('findOnPath', () => {
  it('returns the first executable match and skips non-executable files', () => {
    const a = binDir('a');
    const b = binDir('b');
    writeScript(path.join(a, 'tool'), 'exit 0', 0o644); // not executable: skipped
    const good = writeScript(path.join(b, 'tool'));
    expect(findOnPath('tool', [a, b].join(path.delimiter))).toBe(good);
    expect(findOnPath('missing', [a, b].join(path.delimiter))).toBeUndefined();
  });
});

describe('resolveTemporalCli', () => {
  it('TEMPORAL_CLI_PATH wins over PATH and cache', async () => {
    const explicit = writeScript(path.join(tmp, 'explicit', 'my-temporal'));
    writeScript(path.join(binDir('path'), 'temporal'));
    writeScript(cachedTemporalCliPath());
    process.env.PATH = path.join(tmp, 'path');
    process.env.TEMPORAL_CLI_PATH = explicit;
    await expect(resolveTemporalCli(log)).resolves.toBe(explicit);
  });

  it('a missing TEMPORAL_CLI_PATH is a clear error naming the variable', async () => {
    process.env.TEMPORAL_CLI_PATH = path.join(tmp, 'nope', 'temporal');
    await expect(resolveTemporalCli(log)).rejects.toThrow(/TEMPORAL_CLI_PATH is set to ".*nope\/temporal" but no file exists there/);
  });

  it('a non-executable TEMPORAL_CLI_PATH is a clear error naming the variable', async () => {
    process.env.TEMPORAL_CLI_PATH = writeScript(path.join(tmp, 'x', 'temporal'), 'exit 0', 0o644);
    await expect(resolveTemporalCli(log)).rejects.toThrow(/TEMPORAL_CLI_PATH .* not an executable file/);
  });

  it('PATH comes before the cache', async () => {
    const onPath = writeScript(path.join(binDir('path'), 'temporal'));
    writeScript(cachedTemporalCliPath());
    process.env.PATH = [binDir('empty'), path.join(tmp, 'path')].join(path.delimiter);
    await expect(resolveTemporalCli(log)).resolves.toBe(onPath);
  });

  it('uses the cached build when nothing is on PATH, without invoking go', async () => {
    const cached = writeScript(cachedTemporalCliPath());
    const marker = path.join(tmp, 'go-was-called');
    writeScript(path.join(binDir('path'), 'go'), `touch ${marker}`);
    process.env.PATH = path.join(tmp, 'path');
    await expect(resolveTemporalCli(log)).resolves.toBe(cached);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('returns undefined (SDK download fallback) when there is no go to build with', async () => {
    await expect(resolveTemporalCli(log)).resolves.toBeUndefined();
    expect(logs.join('\n')).toMatch(/falling back to SDK download/);
  });

  it('builds with go into a temp GOBIN, renames into the cache, and cleans up', async () => {
    const argsFile = path.join(tmp, 'go-args');
    writeScript(
      path.join(binDir('path'), 'go'),
      `echo "$@" > ${argsFile}\necho "github.com/temporalio/cli/temporalcli"\n` +
        `printf '#!/bin/sh\\necho built\\n' > "$GOBIN/temporal"\nchmod +x "$GOBIN/temporal"`,
    );
    process.env.PATH = path.join(tmp, 'path');
    const result = await resolveTemporalCli(log);
    expect(result).toBe(cachedTemporalCliPath());
    expect(spawnSync(result!, [], { encoding: 'utf8' }).stdout.trim()).toBe('built');
    const args = fs.readFileSync(argsFile, 'utf8');
    expect(args).toMatch(/^install -v /);
    expect(args).toContain(`github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`);
    expect(logs).toContain('[temporal-cli build] github.com/temporalio/cli/temporalcli'); // streamed, prefixed
    // only the binary is left in bin/ (no temp GOBIN), and the lock is released
    expect(fs.readdirSync(path.dirname(result!))).toEqual(['temporal']);
    expect(fs.readdirSync(path.join(stewardCacheDir(), 'locks'))).toEqual([]);
  });

  it('a failed go build leaves no binary behind and falls back', async () => {
    writeScript(path.join(binDir('path'), 'go'), 'echo half > "$GOBIN/temporal"; echo "compile error" >&2; exit 2');
    process.env.PATH = path.join(tmp, 'path');
    await expect(resolveTemporalCli(log)).resolves.toBeUndefined();
    expect(fs.readdirSync(path.dirname(cachedTemporalCliPath()))).toEqual([]);
    expect(logs).toContain('[temporal-cli build] compile error');
  });

  it('two concurrent callers build only once', async () => {
    const counter = path.join(tmp, 'builds');
    writeScript(
      path.join(binDir('path'), 'go'),
      `echo x >> ${counter}\nsleep 1\nprintf '#!/bin/sh\\n' > "$GOBIN/temporal"\nchmod +x "$GOBIN/temporal"`,
    );
    process.env.PATH = path.join(tmp, 'path');
    const [a, b] = await Promise.all([resolveTemporalCli(log), resolveTemporalCli(log)]);
    expect(a).toBe(cachedTemporalCliPath());
    expect(b).toBe(cachedTemporalCliPath());
    expect(fs.readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

describe('withCacheLock', () => {
  it('takes over a stale lock left by a dead process', async () => {
    const dead = spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim(); // pid that has exited
    const lockFile = path.join(stewardCacheDir(), 'locks', 'thing.lock');
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    fs.writeFileSync(lockFile, `${dead} ${os.hostname()} ${Date.now()}\n`);
    await expect(withCacheLock('thing', log, async () => 'ran')).resolves.toBe('ran');
    expect(logs.join('\n')).toMatch(/removing stale lock/);
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it('waits for a live holder', async () => {
    const holder = spawn('/bin/sleep', ['1.5']);
    const lockFile = path.join(stewardCacheDir(), 'locks', 'thing.lock');
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    fs.writeFileSync(lockFile, `${holder.pid} ${os.hostname()} ${Date.now()}\n`);
    holder.on('exit', () => fs.rmSync(lockFile, { force: true })); // the "holder" releases on exit
    const started = Date.now();
    await expect(withCacheLock('thing', log, async () => 'ran')).resolves.toBe('ran');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(logs.join('\n')).toMatch(/waiting for thing/);
  });
});

describe('resolveTimeSkippingServer', () => {
  /** Put a complete fake cached wrapper in place (wrapper + classpath.txt of existing jars). */
  function fakeCachedWrapper(): string {
    const jar = path.join(tmp, 'm2', 'server.jar');
    fs.mkdirSync(path.dirname(jar), { recursive: true });
    fs.writeFileSync(jar, '');
    fs.mkdirSync(testServerDir(), { recursive: true });
    fs.writeFileSync(path.join(testServerDir(), 'classpath.txt'), jar);
    return writeScript(cachedTestServerPath());
  }

  it('TEMPORAL_TEST_SERVER_PATH wins over the cache', async () => {
    fakeCachedWrapper();
    const explicit = writeScript(path.join(tmp, 'explicit', 'test-server'));
    process.env.TEMPORAL_TEST_SERVER_PATH = explicit;
    await expect(resolveTimeSkippingServer(log)).resolves.toBe(explicit);
  });

  it('a bad TEMPORAL_TEST_SERVER_PATH is a clear error naming the variable', async () => {
    process.env.TEMPORAL_TEST_SERVER_PATH = path.join(tmp, 'missing');
    await expect(resolveTimeSkippingServer(log)).rejects.toThrow(/TEMPORAL_TEST_SERVER_PATH is set to/);
  });

  it('uses the cached wrapper when present', async () => {
    const cached = fakeCachedWrapper();
    await expect(resolveTimeSkippingServer(log)).resolves.toBe(cached);
  });

  it('ignores a cached wrapper whose jars were deleted, and falls back without mvn', async () => {
    fakeCachedWrapper();
    fs.rmSync(path.join(tmp, 'm2'), { recursive: true });
    await expect(resolveTimeSkippingServer(log)).resolves.toBeUndefined();
    expect(logs.join('\n')).toMatch(/falling back to SDK download/);
  });

  it('falls back when java is missing even if mvn exists', async () => {
    writeScript(path.join(binDir('path'), 'mvn'));
    process.env.PATH = path.join(tmp, 'path');
    await expect(resolveTimeSkippingServer(log)).resolves.toBeUndefined();
    expect(logs.join('\n')).toMatch(/no `java` on PATH/);
  });

  it('assembles a wrapper from mvn output that forwards the SDK args to java', async () => {
    const jarA = path.join(tmp, 'm2', "we'ird dir", 'a.jar');
    const jarB = path.join(tmp, 'm2', 'b.jar');
    const bin = binDir('path');
    // fake mvn: honour -Dmdep.outputFile like the real dependency plugin
    writeScript(
      path.join(bin, 'mvn'),
      `for a in "$@"; do case "$a" in -Dmdep.outputFile=*) out="\${a#-Dmdep.outputFile=}";; esac; done\n` +
        `echo "[INFO] Downloading from central: x"\nprintf '%s' '${[jarA, jarB].join(':').replace(/'/g, `'\\''`)}' > "$out"`,
    );
    const javaArgs = path.join(tmp, 'java-args');
    writeScript(path.join(bin, 'java'), `for a in "$@"; do echo "$a"; done > ${javaArgs}`);
    process.env.PATH = bin;

    const wrapper = await resolveTimeSkippingServer(log);
    expect(wrapper).toBe(cachedTestServerPath());
    expect(fs.readFileSync(path.join(testServerDir(), 'pom.xml'), 'utf8')).toContain('<artifactId>temporal-test-server</artifactId>');
    expect(logs).toContain('[test-server mvn] [INFO] Downloading from central: x');

    // What @temporalio/testing spawns: `<path> <port> ...extraArgs`
    const run = spawnSync(wrapper!, ['17233', '--enable-time-skipping'], { env: { PATH: bin } });
    expect(run.status).toBe(0);
    expect(fs.readFileSync(javaArgs, 'utf8').split('\n').filter(Boolean)).toEqual([
      '-cp',
      `${jarA}:${jarB}`,
      'io.temporal.testserver.TestServer',
      '17233',
      '--enable-time-skipping',
    ]);

    // jars don't exist, so the wrapper is not considered usable from cache...
    fs.mkdirSync(path.dirname(jarA), { recursive: true });
    fs.writeFileSync(jarA, '');
    fs.writeFileSync(jarB, '');
    fs.rmSync(path.join(bin, 'mvn')); // ...but once they do, it is reused without mvn
    await expect(resolveTimeSkippingServer(log)).resolves.toBe(wrapper);
  });

  it('a failing mvn leaves no wrapper and falls back', async () => {
    const bin = binDir('path');
    writeScript(path.join(bin, 'mvn'), 'echo "[ERROR] Could not resolve dependencies"; exit 1');
    writeScript(path.join(bin, 'java'));
    process.env.PATH = bin;
    await expect(resolveTimeSkippingServer(log)).resolves.toBeUndefined();
    expect(fs.existsSync(cachedTestServerPath())).toBe(false);
    expect(logs.join('\n')).toMatch(/Could not resolve dependencies/);
  });
});
