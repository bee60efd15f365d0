import { Context } from '@temporalio/activity';
import type { Deps } from '../src/deps';
import { pushWalletChunk, walletPushers } from '../src/wallet/pushes';

/** Wallet update pushes: a chunk of queued passes per call, counts out (no pass data in history). */
export function walletPushActivities(deps: Deps) {
  let pushers: ReturnType<typeof walletPushers> | undefined;
  return {
    async pushWalletUpdates(limit: number) {
      pushers ??= walletPushers(deps);
      return pushWalletChunk(deps, pushers, limit, () => Context.current().heartbeat());
    },
  };
}
