import type { Deps } from '../../deps';
import { logger } from '../../logger';
import { startJob } from '../../temporal/jobs';
import { walletPushes } from './workflow';

/**
 * After the API changed a pass (updatePassPayload, updatePassUserDetails): when the change queued a
 * push (a wallet holds the pass), starts the `walletPushes` workflow, ID
 * `wallet-push-<passId>-<update tag>`, so one change is pushed once however often this is called.
 * A failed start leaves the row queued: the expiry scheduler's next drain pushes it.
 */
export async function startWalletPushes(deps: Deps, organisationId: string, serialNumber: string): Promise<void> {
  if (!deps.temporal) return;
  const queued = await deps.db('wallet_push_queue as q')
    .join('passes as p', 'p.id', 'q.pass_id')
    .where({ 'p.serial_number': serialNumber, 'p.organisation_id': organisationId })
    .first('q.pass_id', deps.db.raw("(extract(epoch from q.update_tag) * 1000000)::bigint::text as tag"));
  if (!queued) return;
  try {
    await startJob(deps.temporal, deps.config, walletPushes, {
      workflowId: `wallet-push-${queued.pass_id}-${queued.tag}`,
      args: [],
      organisationId,
      requestId: `wallet-push-${queued.pass_id}`,
      summary: `Wallet update pushes after a change of pass ${serialNumber}`,
    });
  } catch (err) {
    logger.warn({ err: (err as Error).message, serialNumber }, 'wallet push workflow not started; the expiry scheduler will push');
  }
}
