import type { Db } from '../../src/db/knex';
import { stageBatchInvalidation } from '../../src/jobs/invalidation/service';

/** A batch invalidation of these serials (rows 1..n) staged for `org`, as the API would stage it. */
export async function stageInvalidation(db: Db, org: string, serials: string[]) {
  return stageBatchInvalidation(db, { org, email: 'ops@example.test', roles: ['Owner'] } as never, {
    source: 'api',
    rows: (async function* () {
      yield serials.map((serialNumber, i) => ({ rowNumber: i + 1, raw: { serialNumber } }));
    })(),
  });
}

/** Each row of a request as stored: number, status, error. */
export async function invalidationRows(db: Db, requestId: string) {
  return (await db('invalidation_rows').where({ request_id: requestId }).orderBy('row_number').select('row_number', 'status', 'error')).map((r) => ({ n: r.row_number, status: r.status, error: r.error }));
}

/**
 * What an invalidation request's rows must come to, written plainly (row by row, in order) to
 * check the set-based, parallel chunks against: empty, a repeat of an earlier row (the first row
 * holding the serial), not ours (unknown or another organisation's), already expired, or success.
 */
export function expectedInvalidation(serials: string[], passes: { ours: Set<string>; expired: Map<string, Date> }) {
  const first = new Map<string, number>();
  return serials.map((serial, i) => {
    const row = i + 1;
    if (!serial) return { status: 'failure', error: 'serialNumber is empty' };
    const earlier = first.get(serial);
    if (earlier !== undefined) return { status: 'failure', error: `serial number ${serial} is already in row ${earlier} of this request` };
    first.set(serial, row);
    if (!passes.ours.has(serial)) return { status: 'failure', error: 'no pass with this serial number in your organisation' };
    const expiredAt = passes.expired.get(serial);
    if (expiredAt) return { status: 'failure', error: `the pass has already expired (at ${expiredAt.toISOString()})` };
    return { status: 'success', error: null as string | null };
  });
}

/** The rows as `invalidationRows` must read them. */
export const expectedRows = (expected: ReturnType<typeof expectedInvalidation>) => expected.map((e, i) => ({ n: i + 1, ...e, error: e.error && `row ${i + 1}: ${e.error}` }));
