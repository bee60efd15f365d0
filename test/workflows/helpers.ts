import crypto from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { resolveTimeSkippingServer } from '../../src/dev/timeSkippingServer';
import { bundleWorkflows } from '../../src/temporal/worker';
import { createTimeSkippingEnv } from '../helpers/timeSkipping';

/**
 * The fast workflow layer: Steward's real workflow code on the time-skipping test server, with
 * stub activities written in the test (no PostgreSQL, no API). Runs alone with
 * `npx jest -c jest.workflows.config.js`, or in the whole suite (which has built the bundle).
 */
export interface WorkflowTestEnv {
  env: TestWorkflowEnvironment;
  /** Runs `fn` while a worker with these stub activities serves a fresh task queue. */
  withWorker<T>(activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T>;
  teardown(): Promise<void>;
}

let bundle: Promise<{ code: string }> | undefined;
function workflowBundle(): Promise<{ code: string }> {
  bundle ??= (async () => {
    // The whole suite's globalSetup built one already; alone, this layer bundles once per file.
    const built = process.env.STEWARD_TEST_WORKFLOW_BUNDLE;
    if (built) return { code: (await import('node:fs')).readFileSync(built, 'utf8') };
    const quiet = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };
    return { code: (await bundleWorkflows(quiet, require.resolve('./index'))).code };
  })();
  return bundle;
}

export async function startWorkflowTestEnv(): Promise<WorkflowTestEnv> {
  process.env.TEMPORAL_TEST_SERVER_PATH ??= await resolveTimeSkippingServer(() => undefined);
  const [env, { code }] = await Promise.all([createTimeSkippingEnv(), workflowBundle()]);
  return {
    env,
    async withWorker(activities, fn) {
      const taskQueue = `wf-${crypto.randomUUID()}`;
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { code }, activities });
      return worker.runUntil(fn(taskQueue));
    },
    teardown: () => env.teardown(),
  };
}

/**
 * Replays a recorded history (protobuf bytes, e.g. one recorded by an earlier version of the code)
 * with today's workflow code: throws on a determinism violation.
 */
export async function replayHistory(encoded: Buffer): Promise<void> {
  const { temporal } = await import('@temporalio/proto');
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, temporal.api.history.v1.History.decode(encoded));
}

/** A stub activity that records its calls (name and arguments) in `log`, in order. */
export function recorder(log: string[]) {
  return <A extends unknown[], R>(name: string, impl: (...args: A) => R | Promise<R>) =>
    async (...args: A): Promise<R> => {
      log.push(`${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`);
      return impl(...args);
    };
}

/** What pushWalletUpdates answers when no pass waits for a wallet push. */
export const NOTHING_TO_PUSH = { claimed: 0, applePushed: 0, appleUnregistered: 0, googlePatched: 0, failed: 0 };
/** What the notification-delivery child finds when there is nothing to send. */
export const NOTHING_TO_DELIVER = { totals: { total: 0, pending: 0, sent: 0, failed: 0 }, claimed: 0, blocked: 0, nextDueInMs: null };
