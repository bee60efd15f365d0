import { log, patched, proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { ForgetActivities } from './activities';
import { effectiveGraceMs } from '../../domain/forget';
import type { ErasureCounts, ForgetPassInput } from './service';
import { drainWalletPushes } from '../walletPushes/workflow';

const { expireForgottenPass, erasePassPersonalData } = proxyActivities<ForgetActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes' },
});

export interface ForgetPassResult {
  passId: string;
  erased: ErasureCounts;
}

/**
 * GDPR forget of one pass (workflow ID forget-<passId>): expire it now, wait the grace period
 * (never beyond 3 days after the request), then erase the end user's personal details everywhere
 * Steward keeps them. Input and result are IDs and counts only.
 */
export async function forgetPass(input: ForgetPassInput): Promise<ForgetPassResult> {
  await expireForgottenPass(input.passId);
  const pushes = patched('wallet-pushes');
  if (pushes) await drainWalletPushes();
  const grace = effectiveGraceMs(input.gracePeriodMs);
  setCurrentDetails(`Pass expired; personal details are erased after ${Math.round(grace / 1000)} s`);
  log.info('pass expired, waiting before erasure', { passId: input.passId, graceMs: grace });
  if (grace > 0) await sleep(grace);
  const erased = await erasePassPersonalData(input.passId);
  if (pushes) await drainWalletPushes();
  setCurrentDetails('Personal details erased');
  log.info('personal details erased', { passId: input.passId, erased });
  return { passId: input.passId, erased };
}
