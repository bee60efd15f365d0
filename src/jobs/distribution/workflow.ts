import { continueAsNew, getExternalWorkflowHandle, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { DistributionActivities } from './activities';
import type { BatchProgress } from '../../services/batchRequests';
import { deliverCallbackWithRetries } from '../callbacks/workflow';
import { CHUNK_ACTIVITY, FINISH_ACTIVITY, progressQuery, runParallelChunks } from '../chunks';
import { expiryScheduledSignal, expirySchedulerId } from '../passExpiry/defs';
import { deliverNotifications, type DeliveryResult } from '../notifications/workflow';
import { dispatchKeys } from '../../notifications/keys';
import type { DeliveryTotals } from '../../notifications/delivery';

const { processDistributionChunk } = proxyActivities<DistributionActivities>(CHUNK_ACTIVITY);
const { finalizeDistribution } = proxyActivities<DistributionActivities>(FINISH_ACTIVITY);

export interface BatchDistributionInput {
  requestId: string;
  organisationId: string;
  /** Rows per chunk activity (one transaction each). */
  chunkSize?: number;
  /** Chunks of this batch in flight at once, on whichever workers poll. */
  concurrency?: number;
  /** Carried across continue-as-new so `progress` never reads zero, with the next chunk's first row. */
  progress?: BatchProgress;
  nextRow?: number;
}

export const DEFAULT_CHUNK_SIZE = 5000;
export const DEFAULT_CHUNK_CONCURRENCY = 4;

/**
 * A batch distribution: chunks of staged rows (several at once, on any worker), then result files
 * and the organisation's callback. Only IDs and counts pass through history, and the workflow
 * continues as new when the history grows, so a batch of any size fits Temporal's limits.
 */
export async function batchDistribution(input: BatchDistributionInput): Promise<BatchProgress & { callback: string; delivery: DeliveryResult }> {
  let earliestSignalled = Infinity;
  const size = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const progress = await runParallelChunks({
    size,
    concurrency: input.concurrency ?? DEFAULT_CHUNK_CONCURRENCY,
    progress: input.progress,
    nextRow: input.nextRow,
    chunk: async (firstRow) => {
      const { earliestExpiryMs, ...p } = await processDistributionChunk(input.requestId, firstRow, size);
      // Passes with an expiredTimestamp: tell the expiry scheduler when they are due earlier than it knows.
      if (earliestExpiryMs !== null && earliestExpiryMs < earliestSignalled) {
        earliestSignalled = earliestExpiryMs;
        await getExternalWorkflowHandle(expirySchedulerId(workflowInfo().taskQueue))
          .signal(expiryScheduledSignal, earliestExpiryMs)
          .catch(() => undefined); // not running: it polls the database when it starts
      }
      return p;
    },
    restart: (p, nextRow) => continueAsNew<typeof batchDistribution>({ ...input, progress: p, nextRow }),
  });
  const { callbackId, resultsEmails, deliveries } = await finalizeDistribution(input.requestId);
  // Then, at once: the callback, the results email, and the second stage, the passes asked for by
  // email / SMS in chunks; `progress` shows both stages.
  let delivery: DeliveryTotals = { total: deliveries, pending: deliveries, sent: 0, failed: 0 };
  setHandler(progressQuery, () => ({ ...progress, delivery }));
  const [callback, delivered] = await Promise.all([
    callbackId ? deliverCallbackWithRetries(callbackId) : Promise.resolve('none' as const),
    deliveries ? deliverNotifications(dispatchKeys.passes(input.requestId), (t) => (delivery = t)) : Promise.resolve({ ...delivery, stalled: false }),
    resultsEmails ? deliverNotifications(dispatchKeys.results('distribution', input.requestId)) : undefined,
  ]);
  return { ...progress, callback, delivery: delivered };
}
