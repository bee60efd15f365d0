import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { DciActivities } from './activities';
import { latestMissedFiring, nextFiring, parseCron } from '../../domain/dci/cron';
import { subscriptionWorkflowId } from './defs';
import { deliverCallbackWithRetries } from '../callbacks/workflow';

/**
 * DCI registry jobs. Each carries correlation IDs, subscription codes and counts only; messages
 * are built by activities from PostgreSQL and sent through the callback delivery mechanism
 * (signed at each attempt, retried, logged, SSRF-guarded).
 */
const ACTIVITY_OPTIONS = { startToCloseTimeout: '10 minutes', retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes' } } as const;
const acts = proxyActivities<DciActivities>(ACTIVITY_OPTIONS);

/** The firing's local activity: the same options; a hanging receiver (15 s per notify) keeps the task heartbeating. */
const local = proxyLocalActivities<DciActivities>(ACTIVITY_OPTIONS);

export const progressQuery = defineQuery<{ callbacks: number; sent: number }>('progress');

/** Async search: fix the matches, then one on-search callback per page, in order. */
export async function dciSearch(correlationId: string): Promise<{ callbacks: number }> {
  let total = 0;
  let sent = 0;
  setHandler(progressQuery, () => ({ callbacks: total, sent }));
  const plan = await acts.dciPlanSearch(correlationId);
  total = plan.callbacks.length;
  let completedItems = 0;
  for (const [i, cb] of plan.callbacks.entries()) {
    const last = i === plan.callbacks.length - 1;
    if (last || plan.callbacks[i + 1].itemIndex !== cb.itemIndex) completedItems++;
    const deliveryId = await acts.dciBuildOnSearch(correlationId, cb.itemIndex, cb.page, completedItems, last);
    await deliverCallbackWithRetries(deliveryId);
    sent++;
  }
  await acts.dciFinishSearch(correlationId);
  return { callbacks: total };
}

/** Subscribe request: register the subscriptions, send on-subscribe, then start one workflow per subscription code. */
export async function dciSubscribe(correlationId: string): Promise<{ subscriptions: number }> {
  const r = await acts.dciRegisterSubscriptions(correlationId);
  await deliverCallbackWithRetries(r.deliveryId);
  // The subscription jobs are findable like this one: same organisation (sender), request = subscription code.
  const attrs = workflowInfo().typedSearchAttributes.getAll();
  for (const code of r.codes) {
    try {
      await startChild(dciSubscription, {
        workflowId: subscriptionWorkflowId(r.registry, code),
        args: [{ code }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: attrs.map((a) => (a.key.name === 'RequestId' ? { ...a, value: code } : a)) as typeof attrs,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return { subscriptions: r.codes.length };
}

export const unsubscribeSignal = defineSignal('unsubscribe');
export interface SubscriptionProgress {
  code: string;
  firings: number;
  notifies: number;
  runs: number;
  nextFiringAt: string | null;
}
export const subscriptionStatusQuery = defineQuery<SubscriptionProgress>('status');

/** Continue as new well before Temporal's suggestion (4,096 events), so the history stays small. */
export const CONTINUE_AS_NEW_AFTER_EVENTS = 1000;

export interface SubscriptionInput {
  code: string;
  firings?: number;
  notifies?: number;
  runs?: number;
  /** The last firing's time (epoch ms), carried across continue-as-new. */
  lastFiredMs?: number;
}

/**
 * One subscription, for months: sleeps until the next cron firing within [start_time, end_time],
 * fires (notify for the matching life events since the last firing; nothing matched: nothing
 * sent), and continues as new to keep its history small. Ends on the unsubscribe signal, or at
 * end_time with an on-unsubscribe to the subscriber.
 */
export async function dciSubscription(input: SubscriptionInput): Promise<'unsubscribed' | 'ended'> {
  const progress: SubscriptionProgress = { code: input.code, firings: input.firings ?? 0, notifies: input.notifies ?? 0, runs: (input.runs ?? 0) + 1, nextFiringAt: null };
  let unsubscribed = false;
  setHandler(unsubscribeSignal, () => {
    unsubscribed = true;
  });
  setHandler(subscriptionStatusQuery, () => progress);

  const schedule = await acts.dciSubscriptionSchedule(input.code);
  if (schedule.status !== 'subscribe') return 'unsubscribed';
  const cron = parseCron(schedule.frequency);
  let lastFiredMs = input.lastFiredMs ?? null;
  for (;;) {
    // Behind its schedule (tasks queued behind 1,000 others, a worker down): fire once, now, for
    // the latest firing missed, with exactly that firing's window, instead of skipping to the next.
    // Histories from before this replay without it.
    const missed = lastFiredMs !== null && patched('dci-firing-catch-up') ? latestMissedFiring(cron, lastFiredMs, Math.min(Date.now(), schedule.endMs)) : null;
    const next = missed ?? nextFiring(cron, Math.max(Date.now(), schedule.startMs - 1000), schedule.endMs);
    if (next === null) {
      progress.nextFiringAt = null;
      if (Date.now() < schedule.endMs) await condition(() => unsubscribed, Math.max(1, schedule.endMs - Date.now()));
      if (unsubscribed) return 'unsubscribed';
      const deliveryId = await acts.dciEndSubscription(input.code);
      if (deliveryId) await deliverCallbackWithRetries(deliveryId);
      return 'ended';
    }
    progress.nextFiringAt = new Date(next).toISOString();
    if (missed === null) await condition(() => unsubscribed, Math.max(1, next - Date.now()));
    if (unsubscribed) return 'unsubscribed';
    lastFiredMs = next;
    const firedAt = new Date(next).toISOString();
    // Histories recorded before the local activity replay the two activities they ran.
    const fired = patched('dci-firing-local-activity')
      ? await local.dciFireAndNotify(input.code, firedAt)
      : await acts.dciFireSubscription(input.code, firedAt).then((f) => ({ ended: f.ended, notifies: f.deliveryIds.map((id) => ({ id, attempt: undefined })) }));
    progress.firings++;
    if (fired.ended) return 'unsubscribed';
    for (const notify of fired.notifies) {
      await deliverCallbackWithRetries(notify.id, notify.attempt);
      progress.notifies++;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > CONTINUE_AS_NEW_AFTER_EVENTS) {
      await continueAsNew<typeof dciSubscription>({ code: input.code, firings: progress.firings, notifies: progress.notifies, runs: progress.runs, lastFiredMs });
    }
  }
}

/** Unsubscribe request: end the subscriptions (all or none), stop their workflows, send on-unsubscribe. */
export async function dciUnsubscribe(correlationId: string): Promise<{ unsubscribed: number }> {
  const r = await acts.dciProcessUnsubscribe(correlationId);
  for (const code of r.codes) {
    try {
      await getExternalWorkflowHandle(subscriptionWorkflowId(r.registry, code)).signal(unsubscribeSignal);
    } catch {
      // Its workflow has already ended (the database says unsubscribed either way).
    }
  }
  await deliverCallbackWithRetries(r.deliveryId);
  return { unsubscribed: r.codes.length };
}

/** Async transaction status (Farmer Registry): one txn/on-status callback. */
export async function dciTxnStatus(correlationId: string): Promise<void> {
  await deliverCallbackWithRetries(await acts.dciBuildTxnOnStatus(correlationId));
}

const fold = proxyActivities<DciActivities>({ startToCloseTimeout: '10 minutes', retry: { maximumAttempts: 3 } });

/**
 * Run every 5 minutes by the `steward-registry-writes-fold` Schedule: folds the rows of registry
 * writes into each registry's data version (matchCounts.ts), keeping the version every search
 * reads a count over few rows, and prunes the lists of records written that the filter columns
 * patch from. A run that fails is left to the next.
 */
export async function dciRegistryWritesFold(): Promise<{ folded: Record<string, number>; prunedChanges: number }> {
  return fold.dciFoldRegistryWrites();
}
