import crypto from 'node:crypto';
import type { Knex } from 'knex';

/**
 * The notification outbox: every email and SMS Steward sends is first a row here, written in the
 * same transaction as the business change that causes it, then delivered by a workflow
 * (workflows/notificationDelivery.ts) with retries and backoff. One row = one message to one recipient.
 */

export type Channel = 'Email' | 'SMS';
export type NotificationKind = 'pass-delivery' | 'results' | 'invitation' | 'verification-code' | 'report' | 'message';
export type NotificationStatus = 'pending' | 'sent' | 'failed';

export interface OutboxMessage {
  organisationId: string | null;
  channel: Channel;
  recipient: string;
  kind: NotificationKind;
  /** The delivery run that sends it: workflow `notify-<dispatchKey>` or a batch's delivery stage. */
  dispatchKey: string;
  /** What it is about (request ID, pass serial): how it is found and erased. */
  reference: string | null;
  /** Pre-rendered content... */
  subject?: string | null;
  body?: string;
  html?: string | null;
  /** ...or a template (title) rendered at send time with these placeholder values. */
  template?: string;
  params?: Record<string, string>;
  /** Sealed values (one-time codes) substituted into body/html at send time, never stored readable. */
  secretParams?: string | null;
}

export interface OutboxRow {
  id: string;
  organisation_id: string | null;
  channel: Channel;
  recipient: string;
  kind: NotificationKind;
  dispatch_key: string | null;
  reference: string | null;
  subject: string | null;
  body: string;
  html_body: string | null;
  template: string | null;
  params: Record<string, string> | null;
  secret_params: string | null;
  message_id: string | null;
  status: NotificationStatus;
  attempts: number;
  last_error: string | null;
  provider_message_id: string | null;
  created_at: Date;
  sent_at: Date | null;
  next_attempt_at: Date;
}

/** Columns holding a message's personal content (errors and provider answers may quote the address). */
export const ERASED_OUTBOX_COLUMNS = {
  recipient: '', subject: null, body: '', html_body: null, params: null, secret_params: null, last_error: null, provider_message_id: null,
} as const;

/**
 * Erases the messages with these references (pass IDs or serials, request IDs): their address,
 * rendered bodies and placeholder values, and the attempt log's errors. Delivery state stays.
 */
export async function eraseNotifications(trx: Knex.Transaction, references: string[]): Promise<number> {
  if (!references.length) return 0;
  const ids = trx('notification_outbox').whereIn('reference', references).select('id');
  await trx('notification_attempts').whereIn('outbox_id', ids).whereNotNull('error').update({ error: null });
  return trx('notification_outbox').whereIn('reference', references).whereNot({ recipient: '' }).update(ERASED_OUTBOX_COLUMNS);
}

/** Records messages inside the caller's transaction; returns their IDs in order. */
export async function enqueueNotifications(trx: Knex.Transaction | Knex, messages: OutboxMessage[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < messages.length; i += 1000) {
    const rows = messages.slice(i, i + 1000).map((m) => {
      // The row ID is the stable message identity: Message-ID of the email, idempotency key of the SMS.
      const id = crypto.randomUUID();
      ids.push(id);
      return {
        id,
        message_id: id,
        organisation_id: m.organisationId,
        channel: m.channel,
        recipient: m.recipient,
        kind: m.kind,
        dispatch_key: m.dispatchKey,
        reference: m.reference,
        subject: m.subject ?? null,
        body: m.body ?? '',
        html_body: m.html ?? null,
        template: m.template ?? null,
        params: m.params ? JSON.stringify(m.params) : null,
        secret_params: m.secretParams ?? null,
      };
    });
    await trx('notification_outbox').insert(rows);
  }
  return ids;
}
