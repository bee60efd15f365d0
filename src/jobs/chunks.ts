import { defineQuery, setHandler, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { BatchProgress } from '../services/batchRequests';

export const progressQuery = defineQuery<BatchProgress>('progress');

/**
 * A chunk takes well under a second; a short timeout means a chunk lost with a crashed worker is
 * retried elsewhere within seconds (its transaction rolled back, so the retry starts clean).
 */
export const CHUNK_ACTIVITY: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } };
/** Result files and the ending of a batch: longer, same retries. */
export const FINISH_ACTIVITY: ActivityOptions = { ...CHUNK_ACTIVITY, startToCloseTimeout: '5 minutes' };

/**
 * Runs chunk activities until no row is pending, answering the `progress` query meanwhile.
 * When Temporal suggests it, continues as new via `restart` (state lives in PostgreSQL; only the
 * counts are carried), so a batch of any size stays within history limits.
 */
export async function runChunks(
  initial: BatchProgress | undefined,
  chunk: () => Promise<BatchProgress>,
  restart: (progress: BatchProgress) => Promise<never>,
): Promise<BatchProgress> {
  let progress: BatchProgress = initial ?? { total: 0, processed: 0, success: 0, failure: 0, done: false };
  setHandler(progressQuery, () => progress);
  while (!progress.done) {
    if (workflowInfo().continueAsNewSuggested) await restart(progress);
    progress = await chunk();
  }
  return progress;
}

