import { ApplicationFailure } from '@temporalio/activity';
import type { Deps } from '../../deps';
import { attemptCallback, AttemptRecord, markCallbackFailed, recordCallbackAttempt } from '../../services/callbacks/deliveries';
import { dciPayloadSigner } from '../../services/dci/outbox';

/** Callback activities: the workflow's retry policy turns failed attempts into backoff. */
export function createCallbackActivities(deps: Deps) {
  return {
    /** Resolves once the receiver answered 2xx; `unrecorded` is that answer when the delivery log could not take it. */
    async deliverCallback(deliveryId: string): Promise<{ status: number; unrecorded?: AttemptRecord }> {
      const r = await attemptCallback(deps.db, deliveryId, deps.config.callbackAllowPrivate, { dci: dciPayloadSigner(deps.config, deps.db) });
      if (r.outcome === 'delivered') return 'unrecorded' in r ? { status: r.status, unrecorded: r.unrecorded } : { status: r.status };
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
