import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../../db/knex';
import { restartCallbackDelivery } from '../../jobs/callbacks/client';
import { DomainError } from '../errors';

/** Operator actions on recorded callbacks (the admin CLI's `callback` commands). */
export interface DeliverySummary {
  id: string;
  organisation_id: string | null;
  kind: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

export async function listCallbacks(db: Db, filter: { organisationId: string; status?: string; limit: number }): Promise<DeliverySummary[]> {
  const q = db('callback_deliveries')
    .where({ organisation_id: filter.organisationId })
    .orderBy('created_at', 'desc')
    .limit(filter.limit)
    .select('id', 'organisation_id', 'kind', 'status', 'attempts', 'last_error', 'created_at', 'delivered_at');
  if (filter.status) q.where({ status: filter.status });
  return q;
}

/**
 * Sends a recorded callback again: the row goes back to pending (its attempt log stays) and a new
 * run of the `callbackDelivery` workflow, whose ID is the delivery ID, delivers it with the usual
 * retries. The payload and webhook-id are unchanged, so a receiver that already processed it can
 * deduplicate. Refused while a delivery run for it is still going.
 */
export async function retryCallback(db: Db, client: Client, taskQueue: string, deliveryId: string): Promise<{ previousStatus: string; runId: string }> {
  const row = await db('callback_deliveries').where({ id: deliveryId }).first('id', 'organisation_id', 'kind', 'status');
  if (!row) throw new DomainError('NOT_FOUND', `no callback delivery "${deliveryId}"`, 'id');
  try {
    const running = await client.workflow.getHandle(deliveryId).describe();
    if (running.status.name === 'RUNNING') {
      throw new DomainError('CONFLICT', `callback ${deliveryId} is being delivered right now (workflow ${deliveryId} is running); wait for it or terminate it in the Temporal UI first`, 'id');
    }
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await db('callback_deliveries').where({ id: deliveryId }).update({ status: 'pending', last_error: null, delivered_at: null });
  try {
    const handle = await restartCallbackDelivery(client, taskQueue, {
      deliveryId,
      organisationId: row.organisation_id,
      summary: `Operator retry of ${row.kind} callback ${deliveryId} (was ${row.status})`,
    });
    return { previousStatus: row.status, runId: handle.firstExecutionRunId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new DomainError('CONFLICT', `callback ${deliveryId} is being delivered right now; wait for it or terminate it in the Temporal UI first`, 'id');
    }
    throw err;
  }
}
