import { Context } from '@temporalio/activity';
import type { Deps } from '../../deps';
import { pushWalletChunk, walletPushers } from '../../wallet/pushes';

/** Wallet update pushes: a chunk of queued passes per call, counts out (no pass data in history). */
export function createWalletPushActivities(deps: Deps) {
  let pushers: ReturnType<typeof walletPushers> | undefined;
  return {
    async pushWalletUpdates(limit: number) {
      pushers ??= walletPushers(deps);
      return pushWalletChunk(deps, pushers, limit, () => Context.current().heartbeat());
    },
  };
}

export type WalletPushActivities = ReturnType<typeof createWalletPushActivities>;
