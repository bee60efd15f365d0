import type { Db } from '../db/knex';
import type { OutboxRow } from './outbox';
import type { SealedParams } from './sealedParams';
import { unseal } from './sealedParams';
import { BUILT_IN_TEMPLATES, DeliveryTemplate, renderTemplate, TemplateError, TemplateParams, textToHtml } from './templates';
import type { PreparedMessage, SendOutcome, Transport } from './transports';

/**
 * Delivers the due messages of one dispatch key, a chunk at a time: rows are leased to the run,
 * rendered, sent with bounded concurrency over the channel's (pooled) transport, and the results
 * written in small batches as they come (so a crash re-sends at most the messages in flight or
 * not yet written, with the same Message-ID / idempotency key). A refused message is retried with exponential backoff
 * (1 s doubling, at most 1 h apart) until accepted, refused for good, or given up.
 */

export const MAX_ATTEMPTS = 15;
export const GIVE_UP_AFTER_MS = 3 * 24 * 3600 * 1000;
const LEASE = '5 minutes';

export function backoffMs(attempts: number): number {
  return Math.min(3_600_000, 1000 * 2 ** Math.max(0, attempts - 1));
}

export interface Channels {
  Email?: Transport;
  SMS?: Transport;
}

export interface DeliveryContext {
  db: Db;
  channels: Channels;
  sealed: SealedParams;
}

export interface ChunkResult {
  /** Rows this chunk took. */
  claimed: number;
  sent: number;
  failed: number;
  retrying: number;
  /** Totals of the dispatch key after the chunk. */
  totals: DeliveryTotals;
  /** Milliseconds until the next pending row is due (null: none pending). */
  nextDueInMs: number | null;
  /** Rows of this chunk whose channel is not configured (SMTP_URL / SMS_PROVIDER_URL unset). */
  unconfigured: number;
  /** Pending rows of the key waiting for an unconfigured channel (tried again hourly or by `admin notification retry`). */
  blocked: number;
}

export interface DeliveryTotals {
  total: number;
  pending: number;
  sent: number;
  failed: number;
}

async function claim(db: Db, dispatchKey: string, owner: string, limit: number): Promise<OutboxRow[]> {
  const { rows } = await db.raw(
    `UPDATE notification_outbox o SET lease_owner = ?, lease_until = now() + interval '${LEASE}'
      WHERE o.id IN (SELECT id FROM notification_outbox
                      WHERE dispatch_key = ? AND status = 'pending' AND next_attempt_at <= now()
                        AND (lease_until IS NULL OR lease_until < now() OR lease_owner = ?)
                      ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
      RETURNING o.*`,
    [owner, dispatchKey, owner, limit],
  );
  return rows;
}

export async function deliveryTotals(db: Db, dispatchKey: string): Promise<DeliveryTotals & { blocked: number; nextDue: Date | null }> {
  const { rows } = await db.raw(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'sent')::int AS sent,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'pending' AND last_error LIKE 'not sent:%')::int AS blocked,
            min(GREATEST(next_attempt_at, COALESCE(lease_until, next_attempt_at))) FILTER (WHERE status = 'pending') AS next_due
       FROM notification_outbox WHERE dispatch_key = ?`,
    [dispatchKey],
  );
  const r = rows[0];
  return { total: r.total, pending: r.pending, sent: r.sent, failed: r.failed, blocked: r.blocked, nextDue: r.next_due };
}

/** How many messages a dispatch key has (any status): whether a job has a delivery stage to run. */
export async function countMessages(db: Db, dispatchKey: string): Promise<number> {
  const [{ n }] = await db('notification_outbox').where({ dispatch_key: dispatchKey }).count<{ n: number }[]>('* as n');
  return Number(n);
}

type TemplateCache = Map<string, Promise<DeliveryTemplate | undefined>>;

function templateFor(db: Db, cache: TemplateCache, organisationId: string | null, title: string) {
  const key = `${organisationId}\u0000${title}`;
  if (!cache.has(key)) {
    cache.set(
      key,
      (async () => {
        const own = organisationId ? await db('pass_delivery_templates').where({ organisation_id: organisationId, title }).first() : undefined;
        if (own) return { title: own.title, type: own.type, subject: own.subject, preheader: own.preheader, body: own.body, footer: own.footer, imageURL: own.image_url };
        return BUILT_IN_TEMPLATES[title];
      })(),
    );
  }
  return cache.get(key)!;
}

/** A rendered template, kept on the row once sent (operators see what went out; erasure clears it). */
type Rendered = { subject: string | null; body: string; html_body: string | null };
type Prepared = { ok: true; message: PreparedMessage; store: Rendered | null } | { ok: false; error: string };

/** The message as it will be sent; rendered from its template, or the stored body with sealed values filled in. */
async function prepare(ctx: DeliveryContext, cache: TemplateCache, row: OutboxRow): Promise<Prepared> {
  if (row.template) {
    const t = await templateFor(ctx.db, cache, row.organisation_id, row.template);
    if (!t) return { ok: false, error: `deliveryTemplate "${row.template}" does not exist in organisation ${row.organisation_id} (built in: ${Object.keys(BUILT_IN_TEMPLATES).join(', ')})` };
    try {
      const r = renderTemplate(t, row.channel, (row.params ?? {}) as TemplateParams);
      return { ok: true, message: { messageId: row.message_id ?? row.id, recipient: row.recipient, ...r }, store: { subject: r.subject, body: r.text, html_body: r.html } };
    } catch (err) {
      if (err instanceof TemplateError) return { ok: false, error: err.message };
      throw err;
    }
  }
  const secrets = row.secret_params ? ctx.sealed.open(row.secret_params) : {};
  const text = unseal(row.body, secrets);
  const html = row.html_body ? unseal(row.html_body, secrets) : row.channel === 'Email' ? textToHtml(text) : null;
  return { ok: true, message: { messageId: row.message_id ?? row.id, recipient: row.recipient, subject: row.subject, text, html }, store: null };
}

interface Outcome {
  id: string;
  status: 'sent' | 'pending' | 'failed';
  attempts: number;
  last_error: string | null;
  provider_message_id: string | null;
  next_attempt_at: string | null;
  rendered: boolean;
  subject: string | null;
  body: string | null;
  html_body: string | null;
  started_at: string;
  duration_ms: number;
}

/** The row's next state after an attempt: sent, pending again after a backoff, or failed for good. */
function outcomeOf(row: OutboxRow, started: Date, result: SendOutcome, store: Rendered | null): Outcome {
  const attempt = row.attempts + 1;
  const giveUp = !result.ok && result.retryable && (attempt >= MAX_ATTEMPTS || Date.now() - new Date(row.created_at).getTime() >= GIVE_UP_AFTER_MS);
  const status = result.ok ? 'sent' : result.retryable && !giveUp ? 'pending' : 'failed';
  return {
    id: row.id,
    status,
    attempts: attempt,
    last_error: result.ok ? null : giveUp ? `gave up after ${attempt} attempts: ${result.error}` : result.error,
    provider_message_id: result.ok ? result.providerMessageId : null,
    next_attempt_at: status === 'pending' ? new Date(Date.now() + backoffMs(attempt)).toISOString() : null,
    rendered: !!store,
    subject: store?.subject ?? null,
    body: store?.body ?? null,
    html_body: store?.html_body ?? null,
    started_at: started.toISOString(),
    duration_ms: Date.now() - started.getTime(),
  };
}

/**
 * Writes attempt results in small batches (one UPDATE and one INSERT per batch), so the database is
 * not the bottleneck of a 100,000-email batch. A crash loses at most the unwritten batch: those
 * messages are sent again with the same Message-ID / idempotency key. A row erased meanwhile
 * (GDPR forget) never gets its rendered content or an error quoting its address written back.
 */
class OutcomeWriter {
  private buffer: Outcome[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  constructor(private readonly db: Db, private readonly batch = 50, private readonly maxDelayMs = 250) {}

  async add(o: Outcome): Promise<void> {
    this.buffer.push(o);
    if (this.buffer.length >= this.batch) await this.flush();
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.maxDelayMs);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(() => (items.length ? write(this.db, items) : undefined));
    return this.flushing;
  }
}

async function write(db: Db, items: Outcome[]): Promise<void> {
  const json = JSON.stringify(items);
  await db.transaction(async (trx) => {
    await trx.raw(
      `UPDATE notification_outbox o SET
          status = v.status, attempts = v.attempts, updated_at = now(), lease_owner = NULL, lease_until = NULL,
          last_error = CASE WHEN o.recipient = '' THEN NULL ELSE v.last_error END,
          sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE o.sent_at END,
          provider_message_id = COALESCE(v.provider_message_id, o.provider_message_id),
          secret_params = CASE WHEN v.status = 'pending' THEN o.secret_params ELSE NULL END,
          next_attempt_at = COALESCE(v.next_attempt_at, o.next_attempt_at),
          subject = CASE WHEN v.rendered AND o.recipient <> '' THEN v.subject ELSE o.subject END,
          body = CASE WHEN v.rendered AND o.recipient <> '' THEN v.body ELSE o.body END,
          html_body = CASE WHEN v.rendered AND o.recipient <> '' THEN v.html_body ELSE o.html_body END
        FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, status text, attempts int, last_error text, provider_message_id text,
             next_attempt_at timestamptz, rendered boolean, subject text, body text, html_body text)
       WHERE o.id = v.id`,
      [json],
    );
    await trx.raw(
      `INSERT INTO notification_attempts (outbox_id, attempt, started_at, duration_ms, outcome, error)
       SELECT v.id, v.attempts, v.started_at, v.duration_ms, CASE v.status WHEN 'pending' THEN 'retry' ELSE v.status END,
              CASE WHEN o.recipient = '' THEN NULL ELSE v.last_error END
         FROM jsonb_to_recordset(?::jsonb) AS v(id uuid, attempts int, started_at timestamptz, duration_ms int, status text, last_error text)
         JOIN notification_outbox o ON o.id = v.id`,
      [json],
    );
  });
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}

/** One chunk of a dispatch key's due messages; `owner` is the run (workflow ID) leasing them. */
export async function deliverChunk(
  ctx: DeliveryContext,
  dispatchKey: string,
  owner: string,
  opts: { chunkSize: number; concurrency: number; heartbeat?: () => void },
): Promise<ChunkResult> {
  const rows = await claim(ctx.db, dispatchKey, owner, opts.chunkSize);
  const cache: TemplateCache = new Map();
  const counts = { sent: 0, failed: 0, retrying: 0, unconfigured: 0 };
  const writer = new OutcomeWriter(ctx.db);
  await eachLimited(rows, opts.concurrency, async (row) => {
    const transport = ctx.channels[row.channel];
    if (!transport) {
      counts.unconfigured++;
      const missing = row.channel === 'Email' ? 'SMTP_URL' : 'SMS_PROVIDER_URL';
      await ctx.db('notification_outbox').where({ id: row.id }).update({
        last_error: `not sent: ${missing} is not configured`,
        next_attempt_at: new Date(Date.now() + 3_600_000),
        lease_owner: null,
        lease_until: null,
      });
      return;
    }
    const started = new Date();
    // Erased (GDPR forget) before it was sent: nobody to send it to, ever.
    const p: Prepared = row.recipient ? await prepare(ctx, cache, row) : { ok: false, error: 'recipient erased before delivery' };
    const result = p.ok ? await transport.send(p.message) : ({ ok: false, retryable: false, error: p.error } as const);
    const outcome = outcomeOf(row, started, result, p.ok ? p.store : null);
    if (outcome.status === 'sent') counts.sent++;
    else if (outcome.status === 'failed') counts.failed++;
    else counts.retrying++;
    await writer.add(outcome);
    opts.heartbeat?.();
  });
  await writer.flush();
  const { nextDue, blocked, ...totals } = await deliveryTotals(ctx.db, dispatchKey);
  return {
    claimed: rows.length,
    ...counts,
    blocked,
    totals,
    nextDueInMs: totals.pending > 0 && nextDue ? Math.max(0, new Date(nextDue).getTime() - Date.now()) : null,
  };
}
