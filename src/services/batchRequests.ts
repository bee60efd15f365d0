import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens';
import { copyRowsIn } from '../db/copy';
import type { Db } from '../db/knex';
import { AuditCategory, recordAudit } from './audit';
import { enqueueCallback } from './callbacks/deliveries';
import { DomainError } from './errors';
import type { FileStore } from './files';
import { getOrganisation } from './organisations';
import { enqueueResultsEmail } from '../notifications/results';

/**
 * What batch distribution and batch invalidation share: rows staged in PostgreSQL, progress
 * counters on the request row, and the ending (result CSVs, the request completed, the
 * organisation's callback and the results email). Each kind has its own request and row tables.
 */
export type BatchKind = 'distribution' | 'invalidation';

const TABLES: Record<BatchKind, { requests: string; rows: string; label: string }> = {
  distribution: { requests: 'distribution_requests', rows: 'distribution_rows', label: 'Distribution' },
  invalidation: { requests: 'invalidation_requests', rows: 'invalidation_rows', label: 'Invalidation' },
};

export function batchTables(kind: BatchKind) {
  return TABLES[kind];
}

/** One requested item as staged: the row as received, or why it could not even be read. */
export interface StagedRow {
  rowNumber: number;
  raw: Record<string, unknown>;
  error?: string;
}

export interface BatchProgress {
  total: number;
  processed: number;
  success: number;
  failure: number;
  done: boolean;
}

/** The request already recorded under this Idempotency-Key, if any. */
export async function findByRequestKey(db: Db, kind: BatchKind, organisationId: string, requestKey: string | undefined) {
  if (!requestKey) return undefined;
  return db(TABLES[kind].requests).where({ organisation_id: organisationId, request_key: requestKey }).first('id', 'batch_count');
}

/**
 * Stages rows inside the caller's transaction with COPY FROM STDIN while they are read (a page at
 * a time, never the whole file), and sets the request's batch and failure counts.
 */
export async function stageRows(
  trx: Knex.Transaction,
  kind: BatchKind,
  requestId: string,
  pages: AsyncIterable<StagedRow[]>,
  /** The error for a request with no rows at all (which then writes nothing). */
  empty: { field: string; message: string },
) {
  const { requests, rows } = TABLES[kind];
  let count = 0;
  let failures = 0;
  async function* copyPages() {
    for await (const page of pages) {
      count += page.length;
      yield page.map((r) => {
        if (r.error) failures++;
        return [requestId, r.rowNumber, JSON.stringify(r.raw), r.error ? 'failure' : 'pending', r.error ?? null];
      });
    }
  }
  await copyRowsIn(trx, rows, ['request_id', 'row_number', 'raw', 'status', 'error'], copyPages());
  if (count === 0) throw new DomainError('BAD_USER_INPUT', empty.message, empty.field);
  await trx(requests).where({ id: requestId }).update({ batch_count: count, failure_count: failures, processed_count: failures });
  return { count, failures };
}

/** What a batch submission of each kind is called (audit) and how an empty one is refused. */
const SUBMISSIONS: Record<BatchKind, { category: AuditCategory; action: Record<'api' | 'csv', string>; field: Record<'api' | 'csv', string>; empty: string }> = {
  distribution: {
    category: 'Distributions',
    action: { api: 'distributePassBatch', csv: 'distributePassesCSV' },
    field: { api: 'input.passDetails', csv: 'input.file' },
    empty: 'contains no passes to distribute',
  },
  invalidation: {
    category: 'Invalidations',
    action: { api: 'invalidateBatchPasses', csv: 'invalidatePassesCSV' },
    field: { api: 'input.serialNumbers', csv: 'input.file' },
    empty: 'contains no serial numbers',
  },
};

/**
 * Stages a batch submission's rows (stageRows) and records its audit event, inside the caller's
 * transaction. `details` gets the staged count. Returns the count.
 */
export async function stageSubmission(
  trx: Knex.Transaction,
  kind: BatchKind,
  requestId: string,
  s: { principal: Pick<Principal, 'org' | 'email'>; source: 'api' | 'csv'; rows: AsyncIterable<StagedRow[]> },
  details: (count: number) => Record<string, string | number | boolean | null>,
): Promise<number> {
  const o = SUBMISSIONS[kind];
  const { count } = await stageRows(trx, kind, requestId, s.rows, { field: o.field[s.source], message: o.empty });
  await recordAudit(trx, { organisationId: s.principal.org, actor: s.principal.email, category: o.category, action: o.action[s.source], subject: requestId, details: details(count) });
  return count;
}

/** The request's workflow has been started (or joined): the orphan sweeper leaves it alone. */
export async function markWorkflowStarted(db: Db, kind: BatchKind, requestId: string): Promise<void> {
  await db(TABLES[kind].requests).where({ id: requestId }).whereNull('workflow_started_at').update({ workflow_started_at: db.fn.now() });
}

/** What a chunk decided for one row: `n` its row number; `key` / `pass` the kind's own result column. */
export interface RowResult {
  n: number;
  status: 'success' | 'failure' | 'scheduled';
  error: string | null;
  serial: string | null;
  /** distribution: the pass's passApiKey. */
  key?: string | null;
  /** invalidation: the pass's ID. */
  pass?: string | null;
}

const RESULT_COLUMN: Record<BatchKind, string> = {
  distribution: `pass_api_key = e->>'key'`,
  invalidation: `pass_id = (e->>'pass')::uuid`,
};

/**
 * Writes a chunk's row results (one statement, one JSON parameter) and adds them to the request's
 * counters, inside the chunk's transaction. Every row not `failure` counts as a success.
 */
export async function recordRowResults(trx: Knex.Transaction, kind: BatchKind, requestId: string, results: RowResult[]): Promise<void> {
  const { requests, rows } = TABLES[kind];
  await trx.raw(
    `UPDATE ${rows} d SET status = e->>'status', error = e->>'error', serial_number = e->>'serial', ${RESULT_COLUMN[kind]}
     FROM jsonb_array_elements(?::jsonb) e WHERE d.request_id = ? AND d.row_number = (e->>'n')::int`,
    [JSON.stringify(results), requestId],
  );
  const success = results.filter((r) => r.status !== 'failure').length;
  await trx(requests)
    .where({ id: requestId })
    .increment({ processed_count: results.length, success_count: success, failure_count: results.length - success })
    .update({ status: 'In-Progress', updated_at: trx.fn.now() });
}

/** The individual (synchronous) operations take at most 25 passes; more belong in a batch. */
export const MAX_INDIVIDUAL = 25;

export function checkIndividualSize(count: number, o: { field: string; item: string; operation: string; batchOperations: string }): void {
  if (count === 0) throw new DomainError('BAD_USER_INPUT', `must contain at least one ${o.item}`, o.field);
  if (count > MAX_INDIVIDUAL) {
    throw new DomainError(
      'BAD_USER_INPUT',
      `individual ${o.operation} is limited to ${MAX_INDIVIDUAL} passes per request (got ${count}); use ${o.batchOperations} for more`,
      o.field,
    );
  }
}

export async function batchProgress(db: Db, kind: BatchKind, requestId: string): Promise<BatchProgress> {
  const r = await db(TABLES[kind].requests).where({ id: requestId }).first('batch_count', 'processed_count', 'success_count', 'failure_count');
  return { total: r.batch_count, processed: r.processed_count, success: r.success_count, failure: r.failure_count, done: r.processed_count >= r.batch_count };
}

/**
 * Ends a batch once: stores the two result CSVs, marks the request `finalStatus`, and records the
 * organisation's callback (or, without a callback URL, an email to the job issuer in the outbox).
 * The CSVs stream into their stored parts inside the transaction that completes the request, so a
 * crashed attempt leaves nothing and a re-run (which waits on the row lock) finds the files stored.
 */
export async function completeBatch(
  db: Db,
  files: FileStore,
  kind: BatchKind,
  requestId: string,
  /** The result CSVs (gzip), each started only when it is stored. */
  csv: { success: () => Readable; failure: () => Readable },
  finalStatus = 'Complete',
): Promise<{ callbackId: string | null }> {
  const { requests, label } = TABLES[kind];
  const request = await db(requests).where({ id: requestId }).first();
  const org = await getOrganisation(db, request.organisation_id);
  const callbackId = org?.callback_url ? `msg_${kind}_${requestId}` : null;
  if (request.success_file_id) return { callbackId };

  await db.transaction(async (trx) => {
    const locked = await trx(requests).where({ id: requestId }).forUpdate().first('success_file_id');
    if (locked.success_file_id) return;
    const base = `${kind}-${requestId}`;
    const store = (which: 'success' | 'failure') =>
      files.store(trx, { organisationId: request.organisation_id, kind: `${kind}-${which}`, filename: `${base}-${which}.csv`, contentType: 'text/csv', contentEncoding: 'gzip', content: csv[which]() });
    const s = await store('success');
    const f = await store('failure');
    await trx(requests).where({ id: requestId }).update({
      status: finalStatus,
      success_file_id: s.id,
      failure_file_id: f.id,
      completed_at: finalStatus === 'Complete' ? trx.fn.now() : null,
      updated_at: trx.fn.now(),
    });
    // The seed's callback body; counts are numbers.
    const payload = {
      requestID: requestId,
      successCount: request.success_count,
      successResultsURL: s.url,
      failureCount: request.failure_count,
      failureResultsURL: f.url,
    };
    if (callbackId) {
      await enqueueCallback(trx, { id: callbackId, organisationId: org!.id, kind: `${kind}.result`, url: org!.callback_url!, signing: 'standard-webhooks', payload });
    }
    await enqueueResultsEmail(trx, {
      kind,
      label,
      requestId,
      organisationId: request.organisation_id,
      jobIssuer: request.job_issuer,
      successCount: request.success_count,
      failureCount: request.failure_count,
      successUrl: s.url,
      failureUrl: f.url,
      expiresAt: s.expiresAt,
    });
  });
  return { callbackId };
}

/** Result links of a request row, signed for its organisation. */
export function resultLinks(r: { organisation_id: string; success_file_id: string | null; failure_file_id: string | null; file_expires_at?: Date }, files: FileStore) {
  const link = (id: string | null) => (id && r.file_expires_at ? files.url(id, r.organisation_id, r.file_expires_at) : '');
  return { successResults: link(r.success_file_id), failureResults: link(r.failure_file_id) };
}
