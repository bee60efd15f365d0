import type { Knex } from 'knex';
import type { Db } from '../../db/knex';

/**
 * Expires passes at `at` (now by default): the single place that flips `is_expired`, used by
 * invalidation, distribution-time expiry, GDPR forgetting and consumer deletion. Already expired
 * passes are left as they are. Returns the IDs it expired.
 */
export async function expirePassesNow(db: Db | Knex.Transaction, passIds: string[], at: Date = new Date()): Promise<string[]> {
  if (!passIds.length) return [];
  const rows = await db('passes')
    .whereIn('id', passIds)
    .andWhere('is_expired', false)
    .update({ is_expired: true, expired_timestamp: at, last_modified: db.fn.now(), modifier: 'system:expiry' })
    .returning('id');
  return rows.map((r: { id: string }) => r.id);
}

/**
 * Passes the expiry scheduler expires: an expired_timestamp not yet applied, unless a scheduled
 * invalidation holds the pass (that request's workflow has its own durable timer for it and
 * completes the request when it fires: one timer per expiry, never two racing).
 */
function scheduledExpiries(db: Db) {
  return db('passes')
    .where('is_expired', false)
    .whereNotNull('expired_timestamp')
    .whereNotExists((q: Knex.QueryBuilder) => q.select(db.raw('1')).from('invalidation_rows as r').whereRaw('r.pass_id = passes.id').andWhere('r.status', 'scheduled'));
}

/** The earliest scheduled expiry not yet applied, if any: when the expiry scheduler must wake. */
export async function nextPendingExpiry(db: Db): Promise<Date | null> {
  const row = await scheduledExpiries(db).min('expired_timestamp as next').first();
  return row?.next ?? null;
}

/**
 * Expires every pass whose expired_timestamp is at or before `asOf`, `batch` at a time, each batch
 * its own short transaction. One sweep serves every pass due, however many share a moment.
 */
export async function expireDuePasses(db: Db, asOf: Date, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await scheduledExpiries(db)
      .andWhere('expired_timestamp', '<=', asOf)
      .limit(batch)
      .pluck('id');
    if (!ids.length) return total;
    const rows = await db('passes')
      .whereIn('id', ids)
      .andWhere('is_expired', false)
      .update({ is_expired: true, last_modified: db.fn.now(), modifier: 'system:expiry' })
      .returning('id');
    total += rows.length;
  }
}
