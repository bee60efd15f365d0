import type { Knex } from 'knex';
import type { Db } from '../db/knex';

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
