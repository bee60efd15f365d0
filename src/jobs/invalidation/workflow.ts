import { continueAsNew, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { InvalidationActivities } from './activities';
import type { BatchProgress } from '../../services/batchRequests';
import { deliverCallbackWithRetries } from '../callbacks/workflow';
import { CHUNK_ACTIVITY, FINISH_ACTIVITY, runChunks, runParallelChunks } from '../chunks';
import { drainWalletPushes } from '../walletPushes/workflow';
import { deliverNotifications } from '../notifications/workflow';
import { dispatchKeys } from '../../notifications/keys';

const { processInvalidationChunk } = proxyActivities<InvalidationActivities>(CHUNK_ACTIVITY);
const { finalizeInvalidation, expireScheduledInvalidation } = proxyActivities<InvalidationActivities>(FINISH_ACTIVITY);

export interface InvalidationInput {
  requestId: string;
  organisationId: string;
  expiryTimeMs: number;
  /** Batch requests get result files and the callback; individual ones answered in their response. */
  batch: boolean;
  /** Rows per chunk activity (one transaction each). */
  chunkSize?: number;
  /** Chunks of this request in flight at once, on whichever workers poll. */
  concurrency?: number;
  /** Carried across continue-as-new: the counts so far and the next chunk's first row. */
  progress?: BatchProgress;
  nextRow?: number;
}

/** Rows per chunk and chunks in flight per request (the same shape as distribution's). */
export const DEFAULT_CHUNK_SIZE = 5000;
export const DEFAULT_CHUNK_CONCURRENCY = 4;
/** Chunk size of histories recorded before parallel chunks (see `applyRows`). */
const LEGACY_CHUNK_SIZE = 2000;

/**
 * Applies every staged row. Since the `parallel-chunks` patch: fixed row ranges, several in flight
 * on any worker. A history recorded before it (a request still waiting on its expiry timer, or
 * one in its chunks when the new code was deployed) replays one chunk after another as it was
 * recorded; should it still have rows to apply, it applies them range by range from where the
 * recorded chunks stopped, one at a time as before.
 */
async function applyRows(input: InvalidationInput): Promise<BatchProgress> {
  const restart = (p: BatchProgress, nextRow?: number) => continueAsNew<typeof invalidation>({ ...input, progress: p, nextRow });
  if (patched('parallel-chunks')) {
    const size = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
    return runParallelChunks({
      size,
      concurrency: input.concurrency ?? DEFAULT_CHUNK_CONCURRENCY,
      progress: input.progress,
      nextRow: input.nextRow,
      chunk: (firstRow) => processInvalidationChunk(input.requestId, firstRow, size, Date.now()),
      restart,
    });
  }
  const size = input.chunkSize ?? LEGACY_CHUNK_SIZE;
  let next = 1;
  return runChunks(
    input.progress,
    async () => {
      const p = await processInvalidationChunk(input.requestId, next, size, Date.now());
      next += size;
      return p;
    },
    restart,
  );
}

/**
 * An invalidation request: checks and applies its serials in chunks (expiring them, or scheduling
 * them when expiryTime is ahead), reports results, then, for a future expiryTime, waits on a
 * durable timer and expires the passes at that moment, across worker and server restarts.
 */
export async function invalidation(input: InvalidationInput): Promise<BatchProgress & { expired: number; callback: string }> {
  const progress = await applyRows(input);
  // Wallets hear of the change (expired now, or the expiration date set) before the callback's retries.
  const pushes = patched('wallet-pushes');
  if (pushes) await drainWalletPushes();
  let callback = 'none';
  // The results email is delivered alongside the rest (callback, expiry timer) and awaited at the end.
  let resultsDelivery: Promise<unknown> = Promise.resolve();
  if (input.batch) {
    const { callbackId, resultsEmails } = await finalizeInvalidation(input.requestId, Date.now());
    if (resultsEmails) resultsDelivery = deliverNotifications(dispatchKeys.results('invalidation', input.requestId));
    if (callbackId) callback = await deliverCallbackWithRetries(callbackId);
  }
  let expired = 0;
  if (input.expiryTimeMs > Date.now()) {
    await sleep(input.expiryTimeMs - Date.now());
    ({ expired } = await expireScheduledInvalidation(input.requestId, Date.now()));
    if (pushes) await drainWalletPushes();
  }
  await resultsDelivery;
  return { ...progress, expired, callback };
}
