import { continueAsNew, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { InvalidationActivities } from './activities';
import type { BatchProgress } from '../../services/batchRequests';
import { deliverCallbackWithRetries } from '../callbacks/workflow';
import { CHUNK_ACTIVITY, FINISH_ACTIVITY, runChunks } from '../chunks';
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
  chunkSize?: number;
  progress?: BatchProgress;
}

/**
 * An invalidation request: checks and applies its serials in chunks (expiring them, or scheduling
 * them when expiryTime is ahead), reports results, then, for a future expiryTime, waits on a
 * durable timer and expires the passes at that moment, across worker and server restarts.
 */
export async function invalidation(input: InvalidationInput): Promise<BatchProgress & { expired: number; callback: string }> {
  const progress = await runChunks(
    input.progress,
    () => processInvalidationChunk(input.requestId, input.chunkSize ?? 2000, Date.now()),
    (p) => continueAsNew<typeof invalidation>({ ...input, progress: p }),
  );
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
