import type { Knex } from 'knex';
import type { Db } from '../db/knex';

/** An email or SMS for a person, recorded for the transport to send. */
export interface OutboxMessage {
  organisationId: string;
  channel: 'Email' | 'SMS';
  recipient: string;
  subject: string | null;
  body: string;
  /** What the message is about (a request ID, a report ID), so it can be found and erased. */
  reference: string;
}

/**
 * Records a message in the notification outbox inside the caller's transaction (so it exists
 * exactly when the fact it reports does); the one place that writes `notification_outbox`.
 * Returns the outbox ID.
 */
export async function enqueueNotification(db: Db | Knex.Transaction, m: OutboxMessage): Promise<string> {
  const [row] = await db('notification_outbox')
    .insert({ organisation_id: m.organisationId, channel: m.channel, recipient: m.recipient, subject: m.subject, body: m.body, reference: m.reference })
    .returning('id');
  return row.id as string;
}
