import { defineSignal } from '@temporalio/workflow';

/**
 * What the expiry scheduler's workflow, its client and the batch-distribution workflow share
 * (workflow-safe: no Node imports).
 */

/** "A pass now expires at <ms>": wakes the scheduler when that is earlier than its next wake-up. */
export const expiryScheduledSignal = defineSignal<[number]>('expiryScheduled');

/** One scheduler per task queue, so that separate deployments (and test runs) don't share one. */
export function expirySchedulerId(taskQueue: string): string {
  return `pass-expiry-scheduler/${taskQueue}`;
}
