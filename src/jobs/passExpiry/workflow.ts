import { condition, continueAsNew, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PassExpiryActivities } from './activities';
import { expiryScheduledSignal } from './defs';
import { drainWalletPushes } from '../walletPushes/workflow';

const { nextPendingExpiry, expireDuePasses } = proxyActivities<PassExpiryActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Without news it still looks every 10 minutes, so a lost signal costs minutes, not a missed expiry. */
const MAX_IDLE_MS = 10 * 60 * 1000;

/**
 * Expires passes distributed with an `expiredTimestamp`, however many: one workflow, one timer at
 * a time, set to the earliest pending expiry that PostgreSQL reports; at that moment every pass
 * due is expired in one sweep. (Not a workflow or a timer per pass.)
 */
export async function passExpiryScheduler(): Promise<void> {
  let wakeEarlier = false;
  let target = 0;
  setHandler(expiryScheduledSignal, (at) => {
    if (at < target) wakeEarlier = true;
  });
  let timedOut = true;
  for (;;) {
    const expired = await expireDuePasses(Date.now());
    // Wallets hear of what expired; a timer wake also retries pushes that failed before.
    if ((expired > 0 || timedOut) && patched('wallet-pushes')) await drainWalletPushes();
    const next = await nextPendingExpiry();
    const now = Date.now();
    target = Math.min(next ?? Infinity, now + MAX_IDLE_MS);
    wakeEarlier = false;
    timedOut = target > now ? !(await condition(() => wakeEarlier, target - now)) : true;
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2000) {
      await continueAsNew<typeof passExpiryScheduler>();
    }
  }
}
