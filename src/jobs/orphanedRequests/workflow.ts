import { proxyActivities } from '@temporalio/workflow';
import type { OrphanedRequestActivities } from './activities';

const { startOrphanedRequests } = proxyActivities<OrphanedRequestActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 3 } });

/** Run every minute by the `steward-orphaned-requests` Schedule: gives staged requests without a workflow their workflow. */
export async function orphanedRequestSweep(input: { olderThanMs?: number } = {}): Promise<{ started: string[] }> {
  return startOrphanedRequests(input.olderThanMs);
}
