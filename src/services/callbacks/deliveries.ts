import type { Knex } from 'knex';
import type { Db } from '../../db/knex';
import { logger } from '../../logger';
import { BlockedAddressError, postJson } from './httpPost';
import { standardWebhookHeaders } from './signing';

export type CallbackSigning = 'standard-webhooks' | 'none' | 'dci';

/**
 * Signs a payload that carries its own signature (DCI envelopes: 'dci'), afresh at every attempt;
 * may add request headers (the receiver's bearer token).
 */
export type PayloadSigner = (payload: unknown) => Promise<{ body: unknown; headers?: Record<string, string> }>;

export interface NewCallback {
  /** Deterministic per event (e.g. "msg_distribution_<requestId>"), so enqueueing twice is harmless. */
  id: string;
  organisationId: string | null;
  kind: string;
  url: string;
  signing: CallbackSigning;
  payload: unknown;
}

/** Records a callback to send; idempotent on its ID. */
export async function enqueueCallback(db: Db | Knex.Transaction, c: NewCallback): Promise<string> {
  await db('callback_deliveries')
    .insert({ id: c.id, organisation_id: c.organisationId, kind: c.kind, url: c.url, signing: c.signing, payload: JSON.stringify(c.payload) })
    .onConflict('id')
    .ignore();
  return c.id;
}

export type AttemptOutcome =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'retry'; message: string }
  | { outcome: 'refused'; message: string };

export const CALLBACK_TIMEOUT_MS = 15_000;

/**
 * One delivery attempt: sign (fresh timestamp, same webhook-id), POST, log the attempt.
 * Only a 2xx counts as delivered; an address the SSRF guard refuses will never succeed.
 */
export async function attemptCallback(
  db: Db,
  deliveryId: string,
  allowPrivate: boolean,
  payloadSigners: Partial<Record<CallbackSigning, PayloadSigner>> = {},
): Promise<AttemptOutcome> {
  const d = await db('callback_deliveries as c')
    .leftJoin('organisations as o', 'o.id', 'c.organisation_id')
    .where('c.id', deliveryId)
    .first('c.*', 'o.webhook_secret');
  if (!d) return { outcome: 'refused', message: `callback ${deliveryId} does not exist` };
  if (d.status === 'delivered') return { outcome: 'delivered', status: 200 };

  const signer = payloadSigners[d.signing as CallbackSigning];
  if (d.signing === 'dci' && !signer) return { outcome: 'refused', message: 'no DCI message signer configured' };
  const signed: Awaited<ReturnType<PayloadSigner>> = signer ? await signer(d.payload) : { body: d.payload };
  const body = JSON.stringify(signed.body);
  const headers = d.signing === 'standard-webhooks' ? standardWebhookHeaders(d.webhook_secret, d.id, body) : (signed.headers ?? {});
  const startedAt = new Date();
  let status: number | null = null;
  let error: string | null = null;
  let result: AttemptOutcome;
  try {
    const res = await postJson(d.url, body, { headers, timeoutMs: CALLBACK_TIMEOUT_MS, allowPrivate });
    status = res.status;
    if (res.status >= 200 && res.status < 300) result = { outcome: 'delivered', status: res.status };
    else {
      error = `HTTP ${res.status}${res.bodySnippet ? `: ${res.bodySnippet.slice(0, 200)}` : ''}`;
      result = { outcome: 'retry', message: error };
    }
  } catch (err) {
    error = (err as Error).message;
    result = err instanceof BlockedAddressError ? { outcome: 'refused', message: `refused: ${error}` } : { outcome: 'retry', message: error };
  }
  const durationMs = Date.now() - startedAt.getTime();
  await db.transaction(async (trx) => {
    const [{ attempts }] = await trx('callback_deliveries')
      .where({ id: deliveryId })
      .increment('attempts', 1)
      .update({
        status: result.outcome === 'delivered' ? 'delivered' : result.outcome === 'refused' ? 'failed' : 'retrying',
        last_error: error,
        delivered_at: result.outcome === 'delivered' ? trx.fn.now() : null,
      })
      .returning('attempts');
    await trx('callback_attempts').insert({ delivery_id: deliveryId, attempt: attempts, started_at: startedAt, duration_ms: durationMs, status_code: status, error });
  });
  logger.info({ deliveryId, kind: d.kind, status, durationMs, outcome: result.outcome, error }, 'callback attempt');
  return result;
}

/** After the last retry: the delivery is given up, visible as failed in the log. */
export async function markCallbackFailed(db: Db, deliveryId: string, reason: string): Promise<void> {
  await db('callback_deliveries').where({ id: deliveryId }).whereNot({ status: 'delivered' }).update({ status: 'failed', last_error: reason });
}
