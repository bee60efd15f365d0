import { ApplicationFailure } from '@temporalio/activity';
import type { Deps } from '../../deps';
import { attemptCallback, markCallbackFailed } from '../../services/callbacks/deliveries';
import { dciPayloadSigner } from '../../services/dci/outbox';

/** Callback activities: the workflow's retry policy turns failed attempts into backoff. */
export function createCallbackActivities(deps: Deps) {
  return {
    async deliverCallback(deliveryId: string): Promise<{ status: number }> {
      const r = await attemptCallback(deps.db, deliveryId, deps.config.callbackAllowPrivate, { dci: dciPayloadSigner(deps.config, deps.db) });
      if (r.outcome === 'delivered') return { status: r.status };
      if (r.outcome === 'refused') throw ApplicationFailure.nonRetryable(r.message, 'CallbackRefused');
      throw ApplicationFailure.retryable(r.message, 'CallbackNotAccepted');
    },
    async markCallbackFailed(deliveryId: string, reason: string): Promise<void> {
      await markCallbackFailed(deps.db, deliveryId, reason);
    },
  };
}

export type CallbackActivities = ReturnType<typeof createCallbackActivities>;
