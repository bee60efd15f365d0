import crypto from 'node:crypto';
import type { Db } from '../../db/knex';
import type { Deps } from '../../deps';
import { logger } from '../../logger';
import { recordAudit } from '../../services/audit';
import { DomainError, isUniqueViolation } from '../../services/errors';
import { recordForgetRequest } from '../forget/service';
import { activeConsumer } from '../../services/consumers/registry';
import type { ReasonCode, RequestorType } from '../../services/consumers/schemas';
import { startConsumerDeletion } from './client';

export interface DeletionRequest {
  issuerId: string;
  consumerId: string;
  reason?: string;
  reasonCode?: ReasonCode;
  requestorType: RequestorType;
  requestorId: string;
  correlationId?: string;
}

/** What the consumer-deletion workflow carries: IDs only. */
export interface ConsumerDeletionInput {
  operationId: string;
  correlationId?: string;
  /** The forget grace period for the consumer's passes (FORGET_GRACE_PERIOD). */
  gracePeriodMs: number;
}

/** Seed 001's operation details. */
export function toOperation(r: any) {
  return {
    operationId: r.operation_id,
    operation: r.operation,
    status: r.status,
    startTime: r.start_time.toISOString(),
    ...(r.end_time ? { endTime: r.end_time.toISOString() } : {}),
    requestorType: r.requestor_type,
    requestorId: r.requestor_id,
    ...(r.reason ? { reason: r.reason } : {}),
    reasonCode: r.reason_code,
    ...(r.details ? { details: r.details } : {}),
    ...(r.error_code ? { errorCode: r.error_code } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}

/**
 * Records a DELETE operation (PENDING) and starts its workflow. While one is pending for the
 * consumer, a repeated request answers that operation instead of starting another.
 */
export async function requestConsumerDeletion(deps: Deps, req: DeletionRequest): Promise<{ operationId: string; status: string }> {
  const pending = () =>
    deps.db('consumer_operations').where({ issuer_id: req.issuerId, consumer_id: req.consumerId, operation: 'DELETE', status: 'PENDING' }).first();
  const already = await pending();
  if (already) return startDeletionWorkflow(deps, already);
  await activeConsumer(deps.db, req.issuerId, req.consumerId);
  const operationId = crypto.randomUUID();
  try {
    await deps.db('consumer_operations').insert({
      operation_id: operationId,
      issuer_id: req.issuerId,
      consumer_id: req.consumerId,
      operation: 'DELETE',
      status: 'PENDING',
      requestor_type: req.requestorType,
      requestor_id: req.requestorId,
      reason: req.reason ?? null,
      reason_code: req.reasonCode ?? 'ISSUER_DECISION',
      correlation_id: req.correlationId ?? null,
    });
  } catch (err) {
    if (!isUniqueViolation(err, 'consumer_operations_one_pending_delete')) throw err;
    return startDeletionWorkflow(deps, await pending());
  }
  return startDeletionWorkflow(deps, await pending());
}

/**
 * Starts the operation's workflow, or joins it: a request retried after a failure between the
 * operation's insert and the start still gets its workflow.
 */
async function startDeletionWorkflow(deps: Deps, op: any): Promise<{ operationId: string; status: string }> {
  const issuer = await deps.db('issuers').where({ id: op.issuer_id }).first('organisation_id');
  const input: ConsumerDeletionInput = { operationId: op.operation_id, correlationId: op.correlation_id ?? undefined, gracePeriodMs: deps.config.forgetGracePeriodMs };
  const { started } = await startConsumerDeletion(deps, input, { organisationId: issuer.organisation_id, issuerId: op.issuer_id });
  if (started) logger.info({ operationId: op.operation_id, issuerId: op.issuer_id }, 'consumer deletion started');
  return { operationId: op.operation_id, status: op.status };
}

/** Operations of a consumer, newest first; `remainingOperations` counts those after this page. */
export async function listOperations(db: Db, issuerId: string, consumerId: string, offset: number, limit: number) {
  const where = { issuer_id: issuerId, consumer_id: consumerId };
  const [{ n }] = await db('consumer_operations').where(where).count<{ n: string }[]>('* as n');
  const rows = await db('consumer_operations').where(where).orderBy([{ column: 'start_time', order: 'desc' }, { column: 'operation_id', order: 'desc' }]).offset(offset).limit(limit);
  return { operations: rows.map(toOperation), remainingOperations: Math.max(0, Number(n) - offset - rows.length) };
}

export async function getOperation(db: Db, issuerId: string, consumerId: string, operationId: string) {
  const row = await db('consumer_operations').where({ issuer_id: issuerId, consumer_id: consumerId, operation_id: operationId }).first();
  if (!row) throw new DomainError('NOT_FOUND', `no operation ${operationId} for consumer ${consumerId}`, 'operationId');
  return toOperation(row);
}

/**
 * First step of the deletion workflow: the consumer's passes (its digital cards) are expired now
 * and recorded for forgetting. Returns their IDs.
 */
export interface PassToForget {
  id: string;
  organisationId: string;
  serialNumber: string;
}

export async function prepareConsumerDeletion(db: Db, operationId: string, gracePeriodMs: number): Promise<PassToForget[]> {
  return db.transaction(async (trx) => {
    const op = await trx('consumer_operations').where({ operation_id: operationId }).first();
    const passes = await trx('digital_cards as d')
      .join('cards as c', 'c.id', 'd.card_id')
      .join('accounts as a', 'a.id', 'c.account_id')
      .join('passes as p', 'p.id', 'd.pass_id')
      .where({ 'a.issuer_id': op.issuer_id, 'a.consumer_id': op.consumer_id })
      .select('p.id', 'p.organisation_id', 'p.serial_number');
    for (const p of passes) await recordForgetRequest(trx, p, `consumer-deletion:${operationId}`, gracePeriodMs);
    return passes.map((p) => ({ id: p.id, organisationId: p.organisation_id, serialNumber: p.serial_number }));
  });
}

/** Whether a pass's personal details have been erased (the deletion waits on forgets it joined). */
export async function passForgotten(db: Db, passId: string): Promise<boolean> {
  const p = await db('passes').where({ id: passId }).first('forgotten_at');
  return !p || !!p.forgotten_at;
}

/**
 * Last step: accounts, cards and digital cards deleted, the consumer kept as a tombstone without
 * personal data (its ID can never be registered again), the operation SUCCESS. One transaction.
 */
export async function completeConsumerDeletion(db: Db, operationId: string) {
  return db.transaction(async (trx) => {
    const op = await trx('consumer_operations').where({ operation_id: operationId }).forUpdate().first();
    if (op.status !== 'PENDING') return toOperation(op);
    const who = { issuer_id: op.issuer_id, consumer_id: op.consumer_id };
    const accountIds = trx('accounts').where(who).select('id');
    const cardIds = trx('cards').whereIn('account_id', accountIds).select('id');
    const digitalCards = await trx('digital_cards').whereIn('card_id', cardIds).delete();
    const cards = await trx('cards').whereIn('account_id', accountIds).delete();
    const accounts = await trx('accounts').where(who).delete();
    await trx('consumers').where(who).update({ status: 'DELETED', deleted_at: trx.fn.now(), name: null, email: null });
    const details = { accountsDeleted: accounts, cardsDeleted: cards, digitalCardsDeleted: digitalCards };
    const [done] = await trx('consumer_operations')
      .where({ operation_id: operationId })
      .update({ status: 'SUCCESS', end_time: trx.fn.now(), details: JSON.stringify(details) })
      .returning('*');
    const issuer = await trx('issuers').where({ id: op.issuer_id }).first('organisation_id');
    await recordAudit(trx, {
      organisationId: issuer.organisation_id,
      actor: `${op.requestor_type}:${op.requestor_id}`,
      category: 'Users',
      action: 'consumer.delete',
      subject: operationId,
      details: { issuerId: op.issuer_id, consumerId: op.consumer_id, ...details },
    });
    return toOperation(done);
  });
}

/** Seed 001's error text allows only these characters. */
const sanitise = (s: string) => s.replace(/[^a-zA-Z0-9_ /\\[\],.'#;:{}()?!*-]/g, ' ').slice(0, 256);

export async function failConsumerDeletion(db: Db, operationId: string, errorCode: string, error: string) {
  await db('consumer_operations')
    .where({ operation_id: operationId, status: 'PENDING' })
    .update({ status: 'FAILED', end_time: db.fn.now(), error_code: errorCode, error: sanitise(error) });
}

/** Seed 001 removes operations "older than 3 months": 90 days, so no month is shorter than another. */
export const OPERATION_RETENTION_DAYS = 90;

/** The Schedule's cleanup: operations older than 3 months are removed (seed 001). */
export async function removeOldOperations(db: Db, now: Date = new Date()): Promise<number> {
  return db('consumer_operations').whereRaw(`start_time < ?::timestamptz - make_interval(days => ?)`, [now, OPERATION_RETENTION_DAYS]).delete();
}
