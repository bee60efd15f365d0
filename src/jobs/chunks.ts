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


export interface ParallelChunks {
  /** Rows per chunk: chunk k holds rows 1 + k·size .. (k+1)·size. */
  size: number;
  /** Chunks in flight at once (any worker polling the task queue takes them). */
  concurrency: number;
  /** Carried across continue-as-new: the counts so far, and the first row of the next chunk to start. */
  progress?: BatchProgress;
  nextRow?: number;
  /** Processes the chunk starting at `firstRow` (idempotent) and returns the request's progress after it. */
  chunk: (firstRow: number) => Promise<BatchProgress>;
  restart: (progress: BatchProgress, nextRow: number) => Promise<never>;
}

/**
 * Runs the chunks of a batch, `concurrency` at a time, answering the `progress` query meanwhile.
 * The first chunk runs alone to learn the row count; when Temporal suggests it, the workflow waits
 * for the chunks in flight and continues as new from the next one.
 */
export async function runParallelChunks(o: ParallelChunks): Promise<BatchProgress> {
  let progress: BatchProgress = o.progress ?? { total: 0, processed: 0, success: 0, failure: 0, done: false };
  setHandler(progressQuery, () => progress);
  // Chunks finish in any order: the snapshot with the most rows processed is the newest.
  const take = (p: BatchProgress) => {
    if (p.processed >= progress.processed) progress = p;
  };
  let next = o.nextRow ?? 1;
  if (!o.progress) {
    take(await o.chunk(next));
    next += o.size;
  }
  const inFlight = new Set<Promise<void>>();
  while (next <= progress.total || inFlight.size) {
    if (workflowInfo().continueAsNewSuggested) {
      await Promise.all(inFlight);
      await o.restart(progress, next);
    }
    while (inFlight.size < o.concurrency && next <= progress.total) {
      const running: Promise<void> = o.chunk(next).then(take).finally(() => inFlight.delete(running));
      inFlight.add(running);
      next += o.size;
    }
    await Promise.race(inFlight);
  }
  return progress;
}
