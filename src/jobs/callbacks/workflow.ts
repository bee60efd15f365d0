import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { CallbackActivities, Delivered } from './activities';

/**
 * Delivery policy for every outgoing callback: 15 s HTTP timeout per attempt, exponential backoff
 * from 10 s up to 1 h between attempts, given up after 3 days.
 */
const { deliverCallback } = proxyActivities<CallbackActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: ['CallbackRefused'] },
});
const { markCallbackFailed, recordCallbackAttempt } = proxyActivities<CallbackActivities>({
  startToCloseTimeout: '30 seconds',
  // Bookkeeping only: retried until PostgreSQL takes it, never by sending the callback again.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Delivers a recorded callback until a 2xx, or records why it was given up. Used by every workflow.
 * `firstAttempt`: an attempt another activity already made (null: it was not accepted), so a
 * callback answered there is not sent again, and one that failed goes on to the retries.
 */
export async function deliverCallbackWithRetries(deliveryId: string, firstAttempt?: Delivered | null): Promise<'delivered' | 'failed'> {
  try {
    const { unrecorded } = firstAttempt ?? (await deliverCallback(deliveryId));
    if (unrecorded) await recordCallbackAttempt(deliveryId, unrecorded);
    return 'delivered';
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const reason = cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : String(cause);
    await markCallbackFailed(deliveryId, reason);
    return 'failed';
  }
}

/** A workflow per callback sent outside a job (e.g. wallet status events): ID = delivery ID. */
export async function callbackDelivery(deliveryId: string): Promise<'delivered' | 'failed'> {
  return deliverCallbackWithRetries(deliveryId);
}
