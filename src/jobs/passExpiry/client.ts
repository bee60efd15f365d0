import type { Client } from '@temporalio/client';
import type { Config } from '../../config';
import { expiryScheduledSignal, expirySchedulerId } from './defs';
import { passExpiryScheduler } from './workflow';

export { expirySchedulerId };

/**
 * Wakes (starting it if needed) the pass-expiry scheduler of this task queue, telling it a pass
 * is now due at `atMs`. Called at start-up (atMs = 0: just make sure it runs) and whenever
 * passes are created with an expiredTimestamp.
 */
export async function wakeExpiryScheduler(client: Client, config: Config, atMs = 0): Promise<void> {
  await client.workflow.signalWithStart(passExpiryScheduler, {
    workflowId: expirySchedulerId(config.temporal.taskQueue),
    taskQueue: config.temporal.taskQueue,
    args: [],
    signal: expiryScheduledSignal,
    signalArgs: [atMs],
    staticSummary: 'Expires passes distributed with an expiredTimestamp when they fall due',
  });
}
