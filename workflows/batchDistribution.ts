import { continueAsNew, defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DistributionProgress } from '../src/services/batchDistribution';
import { deliverCallbackWithRetries } from './callbackDelivery';

// A chunk takes well under a second; a short timeout means a chunk lost with a crashed worker is
// retried elsewhere within seconds (its transaction rolled back, so the retry starts clean).
const { processDistributionChunk } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
const { finalizeDistribution } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface BatchDistributionInput {
  requestId: string;
  organisationId: string;
  /** Rows per chunk activity (one transaction each). */
  chunkSize?: number;
  /** Carried across continue-as-new so `progress` never reads zero. */
  progress?: DistributionProgress;
}

export const progressQuery = defineQuery<DistributionProgress>('progress');
export const DEFAULT_CHUNK_SIZE = 1000;

/**
 * A batch distribution: chunks of staged rows until none is pending, then result files and the
 * organisation's callback. Only IDs and counts pass through history, and the workflow continues
 * as new when the history grows, so a batch of any size fits Temporal's limits.
 */
export async function batchDistribution(input: BatchDistributionInput): Promise<DistributionProgress & { callback: string }> {
  let progress: DistributionProgress = input.progress ?? { total: 0, processed: 0, success: 0, failure: 0, done: false };
  setHandler(progressQuery, () => progress);
  const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;

  while (!progress.done) {
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof batchDistribution>({ ...input, progress });
    }
    progress = await processDistributionChunk(input.requestId, chunkSize);
  }
  const { callbackId } = await finalizeDistribution(input.requestId);
  const callback = callbackId ? await deliverCallbackWithRetries(callbackId) : 'none';
  return { ...progress, callback };
}
