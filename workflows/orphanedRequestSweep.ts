import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { startOrphanedRequests } = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 3 } });

/** Run every minute by the `steward-orphaned-requests` Schedule: gives staged requests without a workflow their workflow. */
export async function orphanedRequestSweep(input: { olderThanMs?: number } = {}): Promise<{ started: string[] }> {
  return startOrphanedRequests(input.olderThanMs);
}
