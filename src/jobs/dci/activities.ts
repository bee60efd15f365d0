import type { Deps } from '../../deps';
import { buildOnSearch, finishSearch, planSearch } from '../../services/dci/searchRequests';
import { endSubscription, fireSubscription, processUnsubscribe, registerSubscriptions, subscriptionSchedule } from '../../services/dci/subscriptions';
import { buildTxnOnStatus } from '../../services/dci/txnStatus';
import { foldRegistryWrites, pruneRegistryChanges } from '../../services/dci/matchCounts';
import { attemptDelivery, deliveredOrNot } from '../callbacks/activities';

/**
 * DCI registry activities. They take and return correlation IDs, subscription codes, delivery IDs
 * and counts: the messages themselves (records, queries) stay in PostgreSQL.
 */
export function createDciActivities(deps: Deps) {
  return {
    dciPlanSearch: (correlationId: string) => planSearch(deps, correlationId),
    dciBuildOnSearch: (correlationId: string, itemIndex: number, page: number, completedCount: number, last: boolean) =>
      buildOnSearch(deps, correlationId, itemIndex, page, completedCount, last),
    dciFinishSearch: (correlationId: string) => finishSearch(deps, correlationId),
    dciRegisterSubscriptions: (correlationId: string) => registerSubscriptions(deps, correlationId),
    dciSubscriptionSchedule: (code: string) => subscriptionSchedule(deps, code),
    dciFireSubscription: (code: string, firedAtIso: string) => fireSubscription(deps, code, firedAtIso),
    /**
     * A firing and one attempt at each of its notifies, in one (local) activity: with 1,000
     * subscriptions firing together, each firing is one workflow task instead of three, and no
     * activity tasks. A notify not accepted here goes on to the callback retries. Re-run after a
     * crash: the firing is found recorded, and a notify already delivered is not sent again.
     */
    async dciFireAndNotify(code: string, firedAtIso: string) {
      const fired = await fireSubscription(deps, code, firedAtIso);
      const notifies = [];
      // An attempt that throws (PostgreSQL gone) is left to the retries: failing this activity would
      // re-run it and send again a notify delivered earlier in the loop but not yet recorded.
      for (const id of fired.deliveryIds) notifies.push({ id, attempt: await attemptDelivery(deps, id).then(deliveredOrNot, () => null) });
      return { ended: fired.ended, notifies };
    },
    dciEndSubscription: (code: string) => endSubscription(deps, code),
    dciProcessUnsubscribe: (correlationId: string) => processUnsubscribe(deps, correlationId),
    dciBuildTxnOnStatus: (correlationId: string) => buildTxnOnStatus(deps, correlationId),
    dciFoldRegistryWrites: async () => ({ folded: await foldRegistryWrites(deps.db), prunedChanges: await pruneRegistryChanges(deps.db) }),
  };
}

export type DciActivities = ReturnType<typeof createDciActivities>;
