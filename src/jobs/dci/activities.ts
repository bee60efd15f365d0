import type { Deps } from '../../deps';
import { buildOnSearch, finishSearch, planSearch } from '../../services/dci/searchRequests';
import { endSubscription, fireSubscription, processUnsubscribe, registerSubscriptions, subscriptionSchedule } from '../../services/dci/subscriptions';
import { buildTxnOnStatus } from '../../services/dci/txnStatus';

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
    dciEndSubscription: (code: string) => endSubscription(deps, code),
    dciProcessUnsubscribe: (correlationId: string) => processUnsubscribe(deps, correlationId),
    dciBuildTxnOnStatus: (correlationId: string) => buildTxnOnStatus(deps, correlationId),
  };
}

export type DciActivities = ReturnType<typeof createDciActivities>;
