// `npm run tools` (tsx src/dev/ensureTools.ts [--strict]): resolve/build the temporal CLI and
// the time-skipping test server up front. CI runs it before the test suite so a
// multi-minute first build shows its progress here instead of looking like a hung test.
// Progress goes to stderr; the two results go to stdout.
// --strict: also fail when a tool would fall back to the SDK download (offline machines).
import { resolveTemporalCli } from './temporalCli';
import { prepareClassArchive, resolveTimeSkippingServer } from './timeSkippingServer';

const FALLBACK = "SDK download (executable: { type: 'cached-download' }; needs internet)";

async function main(): Promise<number> {
  const strict = process.argv.includes('--strict');
  // In parallel: the two builds are independent. allSettled so that one failing doesn't
  // make us exit while the other still has a build (and its lock) running.
  const [cli, testServer] = await Promise.allSettled([
    resolveTemporalCli(),
    resolveTimeSkippingServer().then(async (server) => {
      await prepareClassArchive(server);
      return server;
    }),
  ]);

  let failed = false;
  const report = (name: string, result: PromiseSettledResult<string | undefined>): void => {
    if (result.status === 'rejected') {
      failed = true;
      const reason: unknown = result.reason;
      console.error(`ensureTools: ${name}: ${reason instanceof Error ? reason.message : String(reason)}`);
      return;
    }
    if (result.value === undefined && strict) failed = true;
    console.log(`${name}: ${result.value ?? FALLBACK}`);
  };
  report('temporal CLI', cli);
  report('time-skipping test server', testServer);

  if (failed) {
    console.error(
      'ensureTools: failed. Set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH to existing executables, ' +
        'or install go (for the CLI) and mvn + java (for the test server); see messages above.',
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`ensureTools: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
