import type { Client } from '@temporalio/client';
import type { Db } from '../db/knex';
import { DomainError } from '../services/errors';
import { startDeliveryRun } from '../jobs/notifications/client';

/** Operator actions on the notification outbox (the admin CLI's `notification` commands). */

export interface NotificationSummary {
  id: string;
  organisation_id: string | null;
  kind: string;
  channel: string;
  recipient: string;
  status: string;
  attempts: number;
  last_error: string | null;
  provider_message_id: string | null;
  reference: string | null;
  dispatch_key: string | null;
  created_at: Date;
  sent_at: Date | null;
}

export async function listNotifications(
  db: Db,
  filter: { organisationId: string; status?: string; kind?: string; reference?: string; limit: number },
): Promise<NotificationSummary[]> {
  const q = db('notification_outbox')
    .where({ organisation_id: filter.organisationId })
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
    .limit(filter.limit)
    .select('id', 'organisation_id', 'kind', 'channel', 'recipient', 'status', 'attempts', 'last_error', 'provider_message_id', 'reference', 'dispatch_key', 'created_at', 'sent_at');
  if (filter.status) q.where({ status: filter.status });
  if (filter.kind) q.where({ kind: filter.kind });
  if (filter.reference) q.where({ reference: filter.reference });
  return q;
}

/**
 * Sends failed (or stuck pending) messages again: they go back to pending, due now, keeping their
 * attempt count and Message-ID, and the delivery run of each dispatch key is started (or joined).
 * Either one message (`id`) or every failed/pending one of an organisation.
 */
export async function retryNotifications(
  db: Db,
  client: Client,
  taskQueue: string,
  target: { id: string } | { organisationId: string; status: 'failed' | 'pending' },
): Promise<{ messages: number; runs: string[] }> {
  const rows = await db.transaction(async (trx) => {
    const q = trx('notification_outbox').forUpdate().select('id', 'status', 'recipient', 'organisation_id', 'dispatch_key');
    if ('id' in target) q.where({ id: target.id });
    else q.where({ organisation_id: target.organisationId, status: target.status });
    const found = await q;
    if ('id' in target) {
      if (!found.length) throw new DomainError('NOT_FOUND', `no notification "${target.id}"`, 'id');
      if (found[0].status === 'sent') throw new DomainError('CONFLICT', `notification ${target.id} was sent already (provider accepted it)`, 'id');
      if (!found[0].recipient) throw new DomainError('CONFLICT', `notification ${target.id} was erased (GDPR forget): there is nobody to send it to`, 'id');
    }
    const retry = found.filter((r: { recipient: string }) => r.recipient);
    for (const r of retry) if (!r.dispatch_key) r.dispatch_key = `retry-${r.id}`; // rows written before delivery runs existed
    for (const r of retry) {
      await trx('notification_outbox')
        .where({ id: r.id })
        .update({ status: 'pending', next_attempt_at: trx.fn.now(), lease_owner: null, lease_until: null, dispatch_key: r.dispatch_key, updated_at: trx.fn.now() });
    }
    return retry as { organisation_id: string | null; dispatch_key: string }[];
  });
  const keys = new Map(rows.map((r) => [r.dispatch_key, r.organisation_id]));
  const runs: string[] = [];
  for (const [key, org] of keys) runs.push(await startDeliveryRun(client, taskQueue, key, org));
  return { messages: rows.length, runs };
}
