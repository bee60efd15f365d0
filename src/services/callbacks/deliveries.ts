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

/** What one attempt did, as the delivery log records it. Plain data: it travels in workflow history. */
export interface AttemptRecord {
  outcome: AttemptOutcome['outcome'];
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

/** A 2xx the delivery log could not record (PostgreSQL went away after the POST): record it later, never POST again. */
export type DeliveredUnrecorded = { outcome: 'delivered'; status: number; unrecorded: AttemptRecord };

export const CALLBACK_TIMEOUT_MS = 15_000;

/**
 * One delivery attempt: sign (fresh timestamp, same webhook-id), POST, log the attempt.
 * Only a 2xx counts as delivered; an address the SSRF guard refuses will never succeed. When a 2xx
 * cannot be logged, the answer says so (`unrecorded`) instead of failing: a failed attempt would be
 * retried, and the receiver would get the same event twice.
 */
export async function attemptCallback(
  db: Db,
  deliveryId: string,
  allowPrivate: boolean,
  payloadSigners: Partial<Record<CallbackSigning, PayloadSigner>> = {},
): Promise<AttemptOutcome | DeliveredUnrecorded> {
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
  const attempt: AttemptRecord = { outcome: result.outcome, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), statusCode: status, error };
  logger.info({ deliveryId, kind: d.kind, status, durationMs: attempt.durationMs, outcome: result.outcome, error }, 'callback attempt');
  try {
    await recordCallbackAttempt(db, deliveryId, attempt);
  } catch (err) {
    if (result.outcome !== 'delivered') throw err;
    logger.warn({ err, deliveryId }, 'callback delivered but not recorded; recording it later');
    return { ...result, unrecorded: attempt };
  }
  return result;
}

/** Logs one attempt and moves the delivery's status; a delivered delivery stays delivered. */
export async function recordCallbackAttempt(db: Db, deliveryId: string, a: AttemptRecord): Promise<void> {
  const finishedAt = new Date(Date.parse(a.startedAt) + a.durationMs);
  await db.transaction(async (trx) => {
    const [{ attempts }] = await trx('callback_deliveries')
      .where({ id: deliveryId })
      .increment('attempts', 1)
      .update({
        status: trx.raw(`CASE WHEN status = 'delivered' THEN status ELSE ? END`, [a.outcome === 'delivered' ? 'delivered' : a.outcome === 'refused' ? 'failed' : 'retrying']),
        last_error: a.error,
        delivered_at: a.outcome === 'delivered' ? finishedAt : trx.raw('delivered_at'),
      })
      .returning('attempts');
    await trx('callback_attempts').insert({ delivery_id: deliveryId, attempt: attempts, started_at: a.startedAt, duration_ms: a.durationMs, status_code: a.statusCode, error: a.error });
  });
}

/** After the last retry: the delivery is given up, visible as failed in the log. */
export async function markCallbackFailed(db: Db, deliveryId: string, reason: string): Promise<void> {
  await db('callback_deliveries').where({ id: deliveryId }).whereNot({ status: 'delivered' }).update({ status: 'failed', last_error: reason });
}
