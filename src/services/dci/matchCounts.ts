import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../../db/knex';
import type { SqlFragment } from '../../domain/dci/query';
import type { RegistryKey } from '../../domain/dci/registries';

/**
 * Exact total_counts kept for later pages of the same search. Counting the matches is most of a
 * search over a large registry (over 1,000,000 records, 260-470 ms for the bench's `$in` and
 * `$or`/`$ne` shapes, where walking to a page takes a few ms), and a client reading a result page
 * by page asks for the same count on every page. A count is kept with the registry's data version
 * (migration 20261203080001) read in the same snapshot, and given again only to a search whose
 * snapshot reads the same version: the same committed writes, so the same count.
 */

/** The registry's data version in the caller's snapshot (read it in the snapshot the count is for). */
export async function registryDataVersion(trx: Knex.Transaction, registry: RegistryKey): Promise<{ version: string; uncompacted: number }> {
  const { rows } = await trx.raw(
    `SELECT coalesce((SELECT committed FROM registry_data_versions WHERE registry = ?), 0) AS committed,
            (SELECT count(*) FROM registry_writes WHERE registry = ?) AS writes`,
    [registry, registry],
  );
  const writes = Number(rows[0].writes);
  return { version: (BigInt(rows[0].committed) + BigInt(writes)).toString(), uncompacted: writes };
}

/** Above this many rows of writes, reading the version is worth a compaction (a count over a few thousand rows costs < 1 ms). */
export const COMPACT_ABOVE = 1000;

/**
 * Folds up to `atMost` committed writes rows into the registry's `committed` number, in one
 * transaction, so every snapshot reads the same version before and after. At most that many, so
 * that the search which runs it waits for a short delete even after hours of writes without a
 * search; the next searches fold the rest. Rows of writers still open are not visible here and
 * stay; two compactions at once delete each row once (the second waits for the first's row locks,
 * then skips what it deleted).
 */
export async function compactRegistryWrites(db: Db, registry: RegistryKey, atMost = 10_000): Promise<number> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw(
      `WITH gone AS (
         DELETE FROM registry_writes WHERE registry = ? AND xid IN (SELECT xid FROM registry_writes WHERE registry = ? LIMIT ?) RETURNING 1
       )
       INSERT INTO registry_data_versions AS v (registry, committed) SELECT ?, count(*) FROM gone
       ON CONFLICT (registry) DO UPDATE SET committed = v.committed + excluded.committed
       RETURNING (SELECT count(*) FROM gone) AS folded`,
      [registry, registry, atMost, registry],
    );
    return Number(rows[0].folded);
  });
}

/**
 * Folds every registry's writes, `batch` rows a transaction, until a fold finds fewer: what the
 * `steward-registry-writes-fold` Schedule runs, so that a registry written by many small
 * transactions and not searched for a while does not leave its next searches thousands of rows to
 * count (searches fold too, but only 10,000 rows each). Returns the rows folded per registry.
 */
export async function foldRegistryWrites(db: Db, batch = 10_000): Promise<Record<string, number>> {
  const folded: Record<string, number> = {};
  const { rows } = await db.raw<{ rows: { registry: RegistryKey }[] }>('SELECT DISTINCT registry FROM registry_writes ORDER BY registry');
  for (const { registry } of rows) {
    folded[registry] = 0;
    for (let n = batch; n === batch; folded[registry] += n) n = await compactRegistryWrites(db, registry, batch);
  }
  return folded;
}

/**
 * Prunes the rows of `registry_changes` (migration 20261204020001) of transactions older than the
 * oldest snapshot seen at the previous prune, and records that bound as `pruned_below`: a filter
 * columns reader whose snapshot is older reads everything again. Run with the fold, every 5
 * minutes, so a change is kept at least that long after every snapshot sees it. Returns the rows pruned.
 */
export async function pruneRegistryChanges(db: Db): Promise<number> {
  const { rows } = await db.raw(
    `WITH bound AS (SELECT next_below FROM registry_changes_pruning FOR UPDATE),
          gone AS (DELETE FROM registry_changes WHERE xid < (SELECT next_below FROM bound) RETURNING 1)
     UPDATE registry_changes_pruning SET pruned_below = (SELECT next_below FROM bound), next_below = pg_snapshot_xmin(pg_current_snapshot())
     RETURNING (SELECT count(*) FROM gone) AS pruned`,
  );
  return Number(rows[0]?.pruned ?? 0);
}

/**
 * The counts, keyed by registry, data version and the count statement; the least recently used
 * goes first once `capacity` are kept. Only counts of a version the search read are handed back,
 * so one of an old version is never wrong, only unused until it ages out.
 */
export class MatchCountCache {
  private readonly counts = new Map<string, number>();
  hits = 0;
  misses = 0;

  constructor(private readonly capacity = 1000) {}

  /** A digest, not the statement itself: one with 1,000 `$in` values is tens of KB, and 1,000 of them are kept. */
  private static key(registry: RegistryKey, version: string, statement: SqlFragment) {
    return createHash('sha256').update(JSON.stringify([registry, version, statement.sql, statement.bindings])).digest('base64');
  }

  get(registry: RegistryKey, version: string, statement: SqlFragment): number | undefined {
    const key = MatchCountCache.key(registry, version, statement);
    const count = this.counts.get(key);
    if (count === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.keep(key, count);
    return count;
  }

  set(registry: RegistryKey, version: string, statement: SqlFragment, count: number): void {
    this.keep(MatchCountCache.key(registry, version, statement), count);
  }

  /** Makes `key` the most recently used (a Map keeps insertion order), then drops the least recently used past capacity. */
  private keep(key: string, count: number): void {
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > this.capacity) this.counts.delete(this.counts.keys().next().value!);
  }

  get size(): number {
    return this.counts.size;
  }
}
