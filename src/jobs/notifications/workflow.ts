import {
  continueAsNew,
  defineQuery,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { NotificationActivities } from './activities';
import type { DeliveryTotals } from '../../notifications/delivery';
import { deliveryWorkflowId } from '../../notifications/keys';

// One activity sends a chunk of messages (bounded concurrency, pooled connections) and heartbeats;
// a worker lost mid-chunk is noticed within the heartbeat timeout and its chunk taken over.
const { deliverNotificationChunk } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const deliveryProgressQuery = defineQuery<DeliveryTotals>('deliveryProgress');

export type DeliveryResult = DeliveryTotals & { stalled: boolean };

/**
 * Delivers every message of a dispatch key: chunks while some are due, a durable timer until the
 * next retry is due otherwise. Ends when none is pending, or when the only pending ones wait for a
 * channel that is not configured (`stalled`; `admin notification retry` sends them later).
 */
export async function deliverNotifications(
  dispatchKey: string,
  onProgress: (t: DeliveryTotals) => void = () => undefined,
  restart?: () => Promise<never>,
): Promise<DeliveryResult> {
  for (;;) {
    const r = await deliverNotificationChunk(dispatchKey);
    onProgress(r.totals);
    if (r.totals.pending === 0) return { ...r.totals, stalled: false };
    if (r.claimed === 0) {
      if (r.nextDueInMs === null || r.totals.pending === r.blocked) return { ...r.totals, stalled: true };
      if (restart && workflowInfo().continueAsNewSuggested) await restart();
      await sleep(Math.max(250, r.nextDueInMs));
    }
  }
}

/** The delivery run of one dispatch key (workflow ID notify-<key>). */
export async function notificationDelivery(dispatchKey: string): Promise<DeliveryResult> {
  let totals: DeliveryTotals = { total: 0, pending: 0, sent: 0, failed: 0 };
  setHandler(deliveryProgressQuery, () => totals);
  return deliverNotifications(
    dispatchKey,
    (t) => (totals = t),
    () => continueAsNew<typeof notificationDelivery>(dispatchKey),
  );
}

/** Starts the delivery run of a dispatch key from a workflow; it outlives the caller. A running one is left alone. */
export async function startNotificationDelivery(dispatchKey: string): Promise<void> {
  try {
    await startChild(notificationDelivery, {
      workflowId: deliveryWorkflowId(dispatchKey),
      args: [dispatchKey],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: workflowInfo().typedSearchAttributes.getAll() as never,
      staticSummary: `Email/SMS delivery ${dispatchKey}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
