import { ApplicationFailure } from '@temporalio/activity';
import type { Deps } from '../../deps';
import { attemptCallback, type AttemptRecord, markCallbackFailed, recordCallbackAttempt } from '../../services/callbacks/deliveries';
import { dciPayloadSigner } from '../../services/dci/outbox';

/** A 2xx from the receiver; `unrecorded` is that answer when the delivery log could not take it. */
export interface Delivered {
  status: number;
  unrecorded?: AttemptRecord;
}

/** One attempt at a recorded callback, with every signer the deployment has. */
export function attemptDelivery(deps: Deps, deliveryId: string) {
  return attemptCallback(deps.db, deliveryId, deps.config.callbackAllowPrivate, { dci: dciPayloadSigner(deps.config, deps.db) });
}

/** What an attempt made elsewhere (inside another activity) tells the workflow: delivered, or not yet. */
export function deliveredOrNot(r: Awaited<ReturnType<typeof attemptDelivery>>): Delivered | null {
  if (r.outcome !== 'delivered') return null;
  return 'unrecorded' in r ? { status: r.status, unrecorded: r.unrecorded } : { status: r.status };
}

/** Callback activities: the workflow's retry policy turns failed attempts into backoff. */
export function createCallbackActivities(deps: Deps) {
  return {
    /** Resolves once the receiver answered 2xx. */
    async deliverCallback(deliveryId: string): Promise<Delivered> {
      const r = await attemptDelivery(deps, deliveryId);
      if (r.outcome === 'delivered') return deliveredOrNot(r)!;
      if (r.outcome === 'refused') throw ApplicationFailure.nonRetryable(r.message, 'CallbackRefused');
      throw ApplicationFailure.retryable(r.message, 'CallbackNotAccepted');
    },
    async recordCallbackAttempt(deliveryId: string, attempt: AttemptRecord): Promise<void> {
      await recordCallbackAttempt(deps.db, deliveryId, attempt);
    },
    async markCallbackFailed(deliveryId: string, reason: string): Promise<void> {
      await markCallbackFailed(deps.db, deliveryId, reason);
    },
  };
}

export type CallbackActivities = ReturnType<typeof createCallbackActivities>;
