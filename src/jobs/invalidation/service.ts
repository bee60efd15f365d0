import type { Knex } from 'knex';
import { countMessages } from '../../notifications/delivery';
import { dispatchKeys } from '../../notifications/keys';
import type { Principal } from '../../auth/tokens';
import type { Db } from '../../db/knex';
import { keysetPage, KeysetCursor } from '../../db/pagination';
import { recordAudit } from '../../services/audit';
import { checkIndividualSize, MAX_INDIVIDUAL, completeBatch, findByRequestKey, resultLinks, stageRows, stageSubmission, StagedRow } from '../../services/batchRequests';
import { copyCsvGzip, sqlIsoTime, sqlSafeText } from '../../services/csvFiles';
import { DomainError } from '../../services/errors';
import type { FileStore } from '../../services/files';
import { expireScheduledPasses } from '../passExpiry/service';
import { processInvalidationChunk } from './chunks';

/** Clock skew tolerated for an expiryTime "now" sent by a client. */
const PAST_TOLERANCE_MS = 60_000;

export interface InvalidationSubmission {
  expiryTime?: Date | null;
  source: 'api' | 'csv';
  requestKey?: string;
  rows: AsyncIterable<StagedRow[]>;
}

/** expiryTime omitted means now; one in the past is a mistake the caller should hear about. */
export function resolveExpiryTime(expiryTime: Date | null | undefined, now: Date): Date {
  if (!expiryTime) return now;
  if (expiryTime.getTime() < now.getTime() - PAST_TOLERANCE_MS) {
    throw new DomainError('BAD_USER_INPUT', 'must not be in the past (omit it to expire now)', 'input.expiryTime');
  }
  return expiryTime.getTime() < now.getTime() ? now : expiryTime;
}

async function insertRequest(trx: Knex.Transaction, principal: Principal, fields: { isBatch: boolean; expiryTime: Date; source: string; requestKey?: string }) {
  const [request] = await trx('invalidation_requests')
    .insert({
      organisation_id: principal.org,
      request_key: fields.requestKey ?? null,
      source: fields.source,
      is_batch_request: fields.isBatch,
      job_issuer: principal.email,
      status: 'Pending',
      expiry_time: fields.expiryTime,
    })
    .returning('id');
  return request.id as string;
}

/**
 * The expiry moment of a scheduled invalidation: its accepted passes expire (those already
 * expired meanwhile are left alone) and the request completes. Idempotent.
 */
export async function expireScheduledInvalidation(db: Db, requestId: string, asOf: Date): Promise<{ expired: number }> {
  return db.transaction(async (trx) => {
    const request = await trx('invalidation_requests').where({ id: requestId }).forUpdate().first();
    if (request.expiry_time.getTime() > asOf.getTime()) throw new Error(`invalidation ${requestId} is not due before ${request.expiry_time.toISOString()}`);
    const expired = await expireScheduledPasses(trx, requestId, request.expiry_time);
    await trx('invalidation_rows').where({ request_id: requestId, status: 'scheduled' }).update({ status: 'success' });
    await trx('invalidation_requests').where({ id: requestId }).update({ status: 'Complete', completed_at: trx.fn.now(), updated_at: trx.fn.now() });
    return { expired };
  });
}

/** Result CSVs (seed: successList = serial numbers; InvalidationFailureListItem) and the callback. */
export async function finalizeInvalidation(
  db: Db,
  files: FileStore,
  requestId: string,
  asOf: Date,
): Promise<{ callbackId: string | null; scheduled: boolean; resultsEmails: number }> {
  const request = await db('invalidation_requests').where({ id: requestId }).first('expiry_time');
  const scheduled = request.expiry_time.getTime() > asOf.getTime();
  const { callbackId } = await completeBatch(
    db,
    files,
    'invalidation',
    requestId,
    {
      success: () =>
        copyCsvGzip(
        db,
        `SELECT ${sqlSafeText('r.serial_number')} AS "serialNumber", ${sqlIsoTime('q.expiry_time')} AS "expiryTime"
           FROM invalidation_rows r JOIN invalidation_requests q ON q.id = r.request_id
          WHERE r.request_id = ? AND r.status = ? ORDER BY r.row_number`,
        [requestId, scheduled ? 'scheduled' : 'success'],
      ),
      failure: () =>
        copyCsvGzip(
        db,
        `SELECT ${sqlSafeText(`coalesce(r.serial_number, r.raw->>'serialNumber', '')`)} AS "serialNumber", ${sqlSafeText('r.error')} AS error
           FROM invalidation_rows r WHERE r.request_id = ? AND r.status = 'failure' ORDER BY r.row_number`,
        [requestId],
      ),
    },
    scheduled ? 'Scheduled' : 'Complete',
  );
  return { callbackId, scheduled, resultsEmails: await countMessages(db, dispatchKeys.results('invalidation', requestId)) };
}

/** Records a batch invalidation and stages its serials; the same Idempotency-Key returns the first. */
export async function stageBatchInvalidation(db: Db, principal: Principal, s: InvalidationSubmission) {
  const expiryTime = resolveExpiryTime(s.expiryTime, new Date());
  const existing = await findByRequestKey(db, 'invalidation', principal.org, s.requestKey);
  if (existing) return { requestId: existing.id as string, batchCount: existing.batch_count as number, created: false, expiryTime };
  return db.transaction(async (trx) => {
    const requestId = await insertRequest(trx, principal, { isBatch: true, expiryTime, source: s.source, requestKey: s.requestKey });
    const count = await stageSubmission(trx, 'invalidation', requestId, { principal, source: s.source, rows: s.rows }, (batchCount) => ({
      batchCount,
      expiryTime: expiryTime.toISOString(),
    }));
    return { requestId, batchCount: count, created: true, expiryTime };
  });
}

/**
 * invalidateIndividualPass: up to 25 serials, results in the response. Passes due now expire in
 * this request; a future expiry is scheduled here and fired by the request's workflow.
 */
export async function invalidateIndividual(db: Db, principal: Principal, input: { serialNumbers: string[]; expiryTime?: Date | null }) {
  checkIndividualSize(input.serialNumbers.length, {
    field: 'input.serialNumbers',
    item: 'serial number',
    operation: 'invalidation',
    batchOperations: 'invalidateBatchPasses or invalidatePassesCSV',
  });
  const now = new Date();
  const expiryTime = resolveExpiryTime(input.expiryTime, now);
  const requestId = await db.transaction(async (trx) => {
    const id = await insertRequest(trx, principal, { isBatch: false, expiryTime, source: 'api' });
    await stageRows(
      trx,
      'invalidation',
      id,
      (async function* () {
        yield input.serialNumbers.map((serialNumber, i) => ({ rowNumber: i + 1, raw: { serialNumber } }));
      })(),
      { field: 'input.serialNumbers', message: 'must contain at least one serial number' },
    );
    await recordAudit(trx, { organisationId: principal.org, actor: principal.email, category: 'Invalidations', action: 'invalidateIndividualPass', subject: id, details: { batchCount: input.serialNumbers.length } });
    return id;
  });
  await processInvalidationChunk(db, requestId, 1, MAX_INDIVIDUAL, now);
  const scheduled = expiryTime.getTime() > now.getTime();
  await db('invalidation_requests').where({ id: requestId }).update({ status: scheduled ? 'Scheduled' : 'Complete', completed_at: scheduled ? null : db.fn.now() });
  const rows = await db('invalidation_rows').where({ request_id: requestId }).orderBy('row_number');
  return {
    requestId,
    scheduled,
    response: {
      successList: rows.filter((r) => r.status !== 'failure').map((r) => r.serial_number as string),
      failureList: rows.filter((r) => r.status === 'failure').map((r) => ({ serialNumber: r.serial_number ?? '', error: r.error as string })),
    },
  };
}

/** Seed 003's InvalidationRequestRecord. */
export function toInvalidationRequestRecord(r: any, files: FileStore) {
  return {
    batchCount: r.batch_count,
    isBatchRequest: r.is_batch_request,
    jobIssuer: r.job_issuer,
    created: r.created_at,
    failureCount: r.failure_count,
    status: r.status,
    successCount: r.success_count,
    ...resultLinks(r, files),
  };
}

export async function paginateInvalidationRequests(db: Db, organisationId: string, cursor: KeysetCursor) {
  const query = db('invalidation_requests as r')
    .leftJoin('stored_files as f', 'f.id', 'r.success_file_id')
    .where('r.organisation_id', organisationId)
    .select('r.*', 'f.expires_at as file_expires_at');
  return keysetPage<any>(query, 'r.created_at', cursor);
}
