import type { Db } from '../../db/knex';
import { invalidationRowError, InvalidationRow, PassForInvalidation } from '../../domain/invalidation';
import { batchProgress, BatchProgress, recordRowResults, RowResult } from '../../services/batchRequests';
import { expireLockedPasses, lockPasses } from '../passExpiry/service';

/**
 * The pending rows of one chunk, locked, each with the first row of the whole request that holds
 * its serial (an index probe per row: `invalidation_rows_serial`). A second attempt of the same
 * chunk waits on these row locks and then finds nothing pending.
 */
const CHUNK_ROWS = `
  SELECT r.row_number AS "rowNumber", coalesce(r.raw->>'serialNumber', '') AS serial,
         (SELECT min(f.row_number) FROM invalidation_rows f
           WHERE f.request_id = r.request_id AND f.raw->>'serialNumber' = r.raw->>'serialNumber') AS "firstRow"
    FROM invalidation_rows r
   WHERE r.request_id = ? AND r.row_number BETWEEN ? AND ? AND r.status = 'pending'
   ORDER BY r.row_number
     FOR UPDATE OF r`;

/**
 * One chunk of an invalidation request: its staged rows `firstRow .. firstRow + size - 1`, in one
 * transaction and set-based: one read of the rows (with the request-wide first row of each serial),
 * one read of their passes locked in ID order (parallel chunks and other writers cannot deadlock),
 * the checks in Node over that fetch, one UPDATE of the passes (expired now, or their
 * expired_timestamp set when the expiry is ahead of `asOf`) and one UPDATE of the row results.
 * Chunks of a batch run in parallel on any worker; a re-run after a crash finds its rows done.
 */
export async function processInvalidationChunk(db: Db, requestId: string, firstRow: number, size: number, asOf: Date): Promise<BatchProgress> {
  await db.transaction(async (trx) => {
    const rows: InvalidationRow[] = (await trx.raw(CHUNK_ROWS, [requestId, firstRow, firstRow + size - 1])).rows;
    if (!rows.length) return;
    const request = await trx('invalidation_requests').where({ id: requestId }).first('organisation_id', 'expiry_time', 'job_issuer');
    const expiry: Date = request.expiry_time;
    const candidates = rows.filter((r) => r.serial && (r.firstRow === null || r.firstRow >= r.rowNumber)).map((r) => r.serial);
    const passes = new Map<string, PassForInvalidation & { id: string }>(
      (await lockPasses(trx, { serials: candidates, organisationId: request.organisation_id })).map((p) => [p.serial_number, p]),
    );
    const now = expiry.getTime() <= asOf.getTime();
    const accepted: string[] = [];
    const results: RowResult[] = rows.map((r) => {
      const pass = passes.get(r.serial);
      const error = invalidationRowError(r, pass, request.organisation_id, expiry, asOf);
      if (error) return { n: r.rowNumber, status: 'failure', error: `row ${r.rowNumber}: ${error}`, serial: r.serial, pass: null };
      accepted.push(pass!.id);
      return { n: r.rowNumber, status: now ? 'success' : 'scheduled', error: null, serial: r.serial, pass: pass!.id };
    });
    if (now) await expireLockedPasses(trx, accepted, expiry);
    else if (accepted.length) {
      await trx.raw(`UPDATE passes SET expired_timestamp = ?, last_modified = now(), modifier = ? WHERE id = ANY(?::uuid[])`, [expiry, request.job_issuer, accepted]);
    }
    await recordRowResults(trx, 'invalidation', requestId, results);
  });
  return batchProgress(db, 'invalidation', requestId);
}

/**
 * The first pending row of a request: where a chunk activity scheduled by the code before parallel
 * chunks (which took "the next `size` pending rows") starts. Null when none is pending.
 */
export async function firstPendingRow(db: Db, requestId: string): Promise<number | null> {
  const r = await db('invalidation_rows').where({ request_id: requestId, status: 'pending' }).min('row_number as first').first();
  return r?.first ?? null;
}
