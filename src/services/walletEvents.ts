import type { Knex } from 'knex';
import type { Deps } from '../deps';
import { logger } from '../logger';
import { startCallbackDelivery } from '../jobs/callbacks/client';
import { passCallbackId, PassStatus, walletTransition, WalletEvent, WalletState } from '../domain/walletStatus';
import { recordAudit } from './audit';
import { enqueueCallback } from './callbacks/deliveries';

/** The columns of a pass that wallet events read; load it with `lockWalletPass` inside the transaction. */
export interface WalletPass extends WalletState {
  id: string;
  organisation_id: string;
  serial_number: string;
  authentication_token: string;
}

/** The pass with this serial number, row-locked until the transaction ends: events on one pass apply one at a time. */
export function lockWalletPass(trx: Knex.Transaction, serialNumber: string): Promise<WalletPass | undefined> {
  return trx('passes')
    .where({ serial_number: serialNumber })
    .forUpdate()
    .first('id', 'organisation_id', 'serial_number', 'authentication_token', 'is_redeemed', 'registered', 'is_removed');
}

/**
 * Applies a wallet event to a locked pass in the caller's transaction: the pass's flags and
 * timestamps, the event log, the status callback to the organisation's callback URL (if it has one)
 * and an audit entry, all or nothing. Returns the status it reported, if any.
 */
export async function applyWalletEvent(trx: Knex.Transaction, pass: WalletPass, event: WalletEvent, now = new Date()): Promise<PassStatus | null> {
  const t = walletTransition(pass, event, now);
  if (Object.keys(t.changes).length === 0) return null;
  await trx('passes').where({ id: pass.id }).update(t.changes);
  let deliveryId: string | null = null;
  if (t.status) {
    const [{ max }] = await trx('pass_wallet_events').where({ pass_id: pass.id }).max('sequence as max');
    const sequence = (max ?? 0) + 1;
    const org = await trx('organisations').where({ id: pass.organisation_id }).first('callback_url');
    if (org?.callback_url) {
      deliveryId = await enqueueCallback(trx, {
        id: passCallbackId(pass.id, t.status, sequence),
        organisationId: pass.organisation_id,
        kind: 'pass-status',
        url: org.callback_url,
        signing: 'standard-webhooks',
        payload: { serialNumber: pass.serial_number, deviceOS: t.deviceOS, status: t.status },
      });
    }
    await trx('pass_wallet_events').insert({
      pass_id: pass.id,
      organisation_id: pass.organisation_id,
      sequence,
      device_os: t.deviceOS,
      status: t.status,
      delivery_id: deliveryId,
      created_at: now,
    });
  }
  await recordAudit(trx, {
    organisationId: pass.organisation_id,
    actor: `wallet:${t.deviceOS}`,
    category: 'Passes',
    action: `wallet:${event.kind}`,
    subject: pass.serial_number,
    details: { passId: pass.id, status: t.status, deliveryId },
  });
  return t.status;
}

/**
 * Starts the `callbackDelivery` workflow (ID = delivery ID) of every status callback of the pass
 * that was recorded but never attempted. Called after each wallet request commits, so a callback
 * whose start failed last time (Temporal unreachable) goes out with the device's next request;
 * a delivery already running is joined, not duplicated.
 */
export async function dispatchPassCallbacks(deps: Deps, passId: string): Promise<void> {
  const pending = await deps.db('pass_wallet_events as e')
    .join('callback_deliveries as d', 'd.id', 'e.delivery_id')
    .where({ 'e.pass_id': passId, 'd.status': 'pending', 'd.attempts': 0 })
    .orderBy('e.sequence')
    .select('d.id', 'e.organisation_id', 'e.status', 'e.sequence');
  for (const d of pending) {
    await startCallbackDelivery(deps, { deliveryId: d.id, organisationId: d.organisation_id, summary: `Pass status callback #${d.sequence}: ${d.status} (pass ${passId})` });
    logger.info({ deliveryId: d.id, passId, status: d.status }, 'pass status callback started');
  }
}
