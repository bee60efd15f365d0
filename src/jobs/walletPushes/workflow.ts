import { proxyActivities } from '@temporalio/workflow';
import type { WalletPushActivities } from './activities';

const { pushWalletUpdates } = proxyActivities<WalletPushActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 5 },
});

/** Passes per activity: 100,000 changed passes are 200 activities, each pushing `WALLET_PUSH_CONCURRENCY` at a time. */
export const WALLET_PUSH_CHUNK = 500;
/** At most this many chunks per drain (bounded history); the rest waits for the next drain. */
const MAX_CHUNKS = 400;

/**
 * Pushes queued pass changes to wallets (APNs, Google) in chunks until the queue is drained. Called
 * inline by the workflows that change passes (invalidation, the expiry scheduler, forgetting) and run
 * as its own workflow after changes made by the API. History holds counts only.
 */
export async function drainWalletPushes(): Promise<{ passes: number; applePushed: number; googlePatched: number; failed: number }> {
  const total = { passes: 0, applePushed: 0, googlePatched: 0, failed: 0 };
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const r = await pushWalletUpdates(WALLET_PUSH_CHUNK);
    total.passes += r.claimed;
    total.applePushed += r.applePushed;
    total.googlePatched += r.googlePatched;
    total.failed += r.failed;
    if (r.claimed < WALLET_PUSH_CHUNK) break;
  }
  return total;
}

/** The workflow form (ID `wallet-push-<passId>-<update tag>`: one per change, started by the API). */
export async function walletPushes(): Promise<Awaited<ReturnType<typeof drainWalletPushes>>> {
  return drainWalletPushes();
}
