// Finds (or assembles) the Java time-skipping test server for
// `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
//
// The SDK normally downloads a native build from GitHub releases, which is unreachable on
// machines that only reach package registries. The same server is published on Maven
// Central as io.temporal:temporal-test-server, so we let Maven resolve its classpath once
// and generate a tiny sh wrapper that runs it with the local `java`.
//
// Arguments: @temporalio/testing 1.24.0 (sdk-core ephemeral_server TestServerConfig) spawns
// `<path> <port> ...extraArgs`: just the port unless extraArgs are given; it does NOT add
// --enable-time-skipping (the server starts with skipping locked and the TS client
// unlocks it while awaiting results / env.sleep). TestServer.main accepts exactly
// `<port> [--enable-time-skipping]`, so the wrapper forwards "$@" untouched. It must `exec`
// java: the SDK stops the server by killing the pid it spawned, and a surviving JVM would
// keep the port. The SDK gives the server 5s to accept gRPC; JVM start here is ~1s.
import { spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import path from 'path';
import { freePort } from './freePort';
import {
  executableFromEnv,
  findOnPath,
  isExecutableFile,
  type Log,
  runWithProgress,
  stewardCacheDir,
  withCacheLock,
  writeFileAtomic,
} from './cacheDir';

/** Pinned Maven Central version of io.temporal:temporal-test-server (newest that resolves here). */
export const TEST_SERVER_VERSION = '1.38.0';
const MAIN_CLASS = 'io.temporal.testserver.TestServer';

/** Folder holding pom.xml, classpath.txt and the wrapper for the pinned version. */
export function testServerDir(): string {
  return path.join(stewardCacheDir(), 'test-server', TEST_SERVER_VERSION);
}

/** Path of the generated wrapper script. */
export function cachedTestServerPath(): string {
  return path.join(testServerDir(), 'temporal-test-server');
}

/**
 * Path of an executable to pass as `{ type: 'existing-path', path }`, first hit wins:
 *   1. $TEMPORAL_TEST_SERVER_PATH (must be an executable file, else throws)
 *   2. <cache>/test-server/<version>/temporal-test-server (if its jars are still in ~/.m2)
 *   3. assemble it with `mvn` (needs `mvn` and `java` on $PATH)
 * undefined -> caller should fall back to the SDK's `{ type: 'cached-download' }`.
 */
export async function resolveTimeSkippingServer(log: Log = console.error): Promise<string | undefined> {
  const fromEnv = executableFromEnv('TEMPORAL_TEST_SERVER_PATH');
  if (fromEnv) return fromEnv;

  const wrapper = cachedTestServerPath();
  if (isUsableWrapper(wrapper)) return wrapper;

  const mvn = findOnPath('mvn');
  const java = findOnPath('java');
  if (!mvn || !java) {
    log(`[test-server] no TEMPORAL_TEST_SERVER_PATH, no cached wrapper and no ${!mvn ? '`mvn`' : '`java`'} on PATH to build one; falling back to SDK download`);
    return undefined;
  }
  return withCacheLock(`test-server-${TEST_SERVER_VERSION}`, log, async () => {
    if (isUsableWrapper(wrapper)) return wrapper; // built by whoever held the lock before us
    return buildWrapper(mvn, wrapper, log);
  });
}

/** The wrapper hard-codes jar paths in ~/.m2; if someone cleaned ~/.m2 it must be regenerated. */
function isUsableWrapper(wrapper: string): boolean {
  if (!isExecutableFile(wrapper)) return false;
  try {
    const entries = readClasspath(path.join(path.dirname(wrapper), 'classpath.txt'));
    return entries.length > 0 && entries.every((jar) => fs.existsSync(jar));
  } catch {
    return false;
  }
}

function readClasspath(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split(path.delimiter)
    .filter((entry) => entry !== '');
}

function pomXml(): string {
  // A throwaway project whose only purpose is to make Maven resolve the server's runtime
  // classpath. slf4j-nop just silences slf4j's "no binding" warning (it is a no-op anyway).
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.steward.tools</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
`;
}

/**
 * Class-data archive of the server's classes (AppCDS), made by prepareClassArchive: with it the
 * JVM accepts connections in about 1 s instead of 5-9 s on a loaded machine, where the SDK gives
 * up after 5 s ("ephemeral server ... did not start within 5s").
 */
export function classArchivePath(): string {
  return path.join(testServerDir(), 'classes.jsa');
}

function wrapperScript(entries: string[]): string {
  const cp = shQuote(entries.join(path.delimiter));
  const jsa = shQuote(classArchivePath());
  return [
    '#!/bin/sh',
    `# Generated by Steward src/dev/timeSkippingServer.ts: Temporal Java test server ${TEST_SERVER_VERSION}.`,
    '# Usage: temporal-test-server <port> [--enable-time-skipping]',
    '# With the class-data archive (prepareClassArchive) the JVM starts in about a second; C1 and the serial GC start faster too.',
    `if [ -f ${jsa} ]; then exec java -XX:SharedArchiveFile=${jsa} -Xshare:auto -Xlog:disable -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp ${cp} ${MAIN_CLASS} "$@"; fi`,
    `exec java -cp ${cp} ${MAIN_CLASS} "$@"`,
    '',
  ].join('\n');
}

/**
 * Makes the class-data archive of the cached wrapper's server once (a run of the server with
 * -XX:ArchiveClassesAtExit until it accepts connections), and brings an older wrapper up to the
 * script that uses it. Best effort: without an archive the wrapper runs the JVM as before.
 */
export async function prepareClassArchive(wrapper: string | undefined, log: Log = console.error): Promise<void> {
  if (wrapper !== cachedTestServerPath() || !isUsableWrapper(wrapper) || fs.existsSync(classArchivePath())) return;
  const java = findOnPath('java');
  if (!java) return;
  await withCacheLock(`test-server-cds-${TEST_SERVER_VERSION}`, log, async () => {
    const archive = classArchivePath();
    if (fs.existsSync(archive)) return;
    const entries = readClasspath(path.join(testServerDir(), 'classpath.txt'));
    const script = wrapperScript(entries);
    if (fs.readFileSync(wrapper, 'utf8') !== script) writeFileAtomic(wrapper, script, 0o755);
    const tmp = `${archive}.${process.pid}.tmp`;
    const port = await freePort();
    const started = Date.now();
    const child = spawn(java, [`-XX:ArchiveClassesAtExit=${tmp}`, '-Xlog:disable', '-cp', entries.join(path.delimiter), MAIN_CLASS, String(port)], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let up = false;
    while (!up && child.exitCode === null && Date.now() - started < 120_000) {
      up = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGTERM'); // the archive is written as the JVM exits
    await exited;
    if (up && fs.existsSync(tmp)) {
      fs.renameSync(tmp, archive);
      log(`[test-server] class-data archive ${archive} made (faster server starts)`);
    } else {
      fs.rmSync(tmp, { force: true });
    }
  });
}

/** Single-quote for sh: safe for any path characters. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function buildWrapper(mvn: string, wrapper: string, log: Log): Promise<string | undefined> {
  const dir = path.dirname(wrapper);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, 'pom.xml'), pomXml());
  const classpathFile = path.join(dir, 'classpath.txt');
  fs.rmSync(classpathFile, { force: true }); // never trust a leftover from an interrupted run
  log(`[test-server] resolving io.temporal:temporal-test-server:${TEST_SERVER_VERSION} from Maven Central into ${dir} (first time only)`);
  const code = await runWithProgress(
    mvn,
    // Not -q: the "Downloading from central" lines are the progress. -B: no ANSI / progress bars.
    ['-B', '-Dstyle.color=never', 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`],
    { cwd: dir, label: 'test-server mvn', log },
  );
  let entries: string[] = [];
  try {
    entries = code === 0 ? readClasspath(classpathFile) : [];
  } catch {
    // no classpath.txt: handled below
  }
  if (entries.length === 0) {
    log(`[test-server] mvn dependency:build-classpath failed (exit ${code}); falling back to SDK download`);
    return undefined;
  }
  writeFileAtomic(wrapper, wrapperScript(entries), 0o755); // written last and atomically: its presence means "complete"
  log(`[test-server] installed ${wrapper}`);
  return wrapper;
}
