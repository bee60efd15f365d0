import { Runtime } from '@temporalio/worker';

/**
 * The runtime temporalRuntime.ts installs is native (a Tokio runtime and its threads) and shuts
 * itself down only when its last worker or connection closes. A file that never opened one kept
 * it to the end of the Jest worker process: one more live runtime per such file. Shut down here
 * when idle. Should this hook run before the file's own afterAll has closed its workers, the
 * runtime is not idle yet, and the last of those to close shuts it down itself.
 */
afterAll(async () => {
  // isIdle is protected in the SDK's types: no worker, connection or creation pending.
  const runtime = Runtime._instance as unknown as { isIdle(): boolean; shutdown(): Promise<void> } | undefined;
  if (runtime?.isIdle()) await runtime.shutdown();
});
