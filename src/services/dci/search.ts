import type { Knex } from 'knex';
import type { Db } from '../../db/knex';
import { orderBySql, orderOverKeys, ParsedSearch, parseSearchCriteria, QueryError, sortKeySql, SqlFragment, toSql } from '../../domain/dci/query';
import { explainNodes, PlanNode } from '../../db/explain';
import { logger } from '../../logger';
import { REGISTRIES, RegistryKey } from '../../domain/dci/registries';
import { COMPACT_ABOVE, compactRegistryWrites, MatchCountCache, registryDataVersion } from './matchCounts';
import type { FilterIndexes } from './filterIndex';
import { countColumnar, pageColumnar } from '../../domain/dci/columnar';

/**
 * Runs DCI searches in PostgreSQL: one page with its total (sync search), or a fixed snapshot of
 * every match (async search), so that the pages delivered one callback each never shift.
 */
export const DEFAULT_PAGE_SIZE = 1000;

export type SearchItemReason =
  | QueryError['reasonCode']
  | 'rjct.reference_id.invalid'
  | 'rjct.reference_id.duplicate'
  | 'rjct.timestamp.invalid'
  | 'rjct.search.too_many_records_found';

export type CheckedItem = { ok: true; parsed: ParsedSearch } | { ok: false; reasonCode: SearchItemReason; message: string };

export const isIsoDateTime = (v: unknown): v is string =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v));

/** Checks one search_request item (reference, timestamp, criteria); `seen` collects reference_ids to find duplicates. */
export function checkSearchItem(registry: RegistryKey, item: { reference_id?: unknown; timestamp?: unknown; search_criteria?: unknown }, seen: Set<string>): CheckedItem {
  if (typeof item.reference_id !== 'string' || item.reference_id.trim() === '') {
    return { ok: false, reasonCode: 'rjct.reference_id.invalid', message: 'reference_id must be a non-empty string' };
  }
  if (seen.has(item.reference_id)) return { ok: false, reasonCode: 'rjct.reference_id.duplicate', message: `reference_id "${item.reference_id}" appears twice in this request` };
  seen.add(item.reference_id);
  if (!isIsoDateTime(item.timestamp)) return { ok: false, reasonCode: 'rjct.timestamp.invalid', message: 'timestamp must be an ISO 8601 date-time with a time zone' };
  try {
    return { ok: true, parsed: parseSearchCriteria(REGISTRIES[registry], item.search_criteria) };
  } catch (err) {
    if (err instanceof QueryError) return { ok: false, reasonCode: err.reasonCode, message: err.message };
    throw err;
  }
}

/**
 * Planner settings of a search's transaction.
 * - work_mem: at PostgreSQL's 4 MB default, the bitmap of 200,000+ candidates over 1,000,000
 *   records goes lossy (every row of half the heap's pages rechecked) and the page query's match
 *   list spills to disk: the bench's `$or`/`$ne` shape took 775 ms at 4 MB, 555 ms at 64 MB. Per
 *   sort or bitmap node while a search runs, not per connection.
 * - parallel_tuple_cost: the default (0.1 a row handed from a parallel worker to the leader) is
 *   priced for wide rows; the matches list hands over IDs and sort keys, and at that price the
 *   planner never scanned for it in parallel. At 0.01 it does once there are many matches: over
 *   1,000,000 records p50 `$or`/`$ne` 505 -> 340 ms, `$or` ranges 212 -> 158 ms, lat/long 159 -> 128 ms.
 * - random_page_cost: 1.1, the usual value where the data is in memory or on SSD, not the 4.0 of
 *   spinning disks. At 4.0 the planner avoided a second index's bitmap and rechecked candidates on
 *   the heap instead, which costs CPU it does not price (multirange overlaps): over 1,000,000
 *   records, p95 lat/long 206-214 -> 139-149 ms (BitmapAnd of both GiST indexes), `$and` 273-316 ->
 *   199-216 ms (BitmapAnd of the strings GIN and the bound's btree).
 */
const SEARCH_SETTINGS = { work_mem: '64MB', parallel_tuple_cost: '0.01', random_page_cost: '1.1' };
/**
 * Runs `fn` in a transaction with the search settings (set in one round trip: set_config(..., true)
 * is SET LOCAL). Repeatable read: every statement of a search sees one snapshot, so a page read
 * apart from its count, and the data version a kept count is checked against, are of the same records.
 */
export function inSearchTransaction<T>(db: Db, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(
    async (trx) => {
      await trx.raw(`SELECT ${Object.keys(SEARCH_SETTINGS).map(() => 'set_config(?, ?, true)').join(', ')}`, Object.entries(SEARCH_SETTINGS).flat());
      return fn(trx);
    },
    { isolationLevel: 'repeatable read' },
  );
}
/** A look-up by identifier reads one row through its btree: no memory to raise, no round trips to add. */
const isIdentifierLookup = (parsed: ParsedSearch) => parsed.where.kind === 'contains' && parsed.where.identifier !== undefined;

/** `FROM ... WHERE ...` of the records matching a search: what every search statement reads. */
function matchesFrom(registry: RegistryKey, parsed: ParsedSearch): SqlFragment {
  const where = toSql(parsed.where);
  return { sql: `FROM registry_records WHERE registry = ? AND ${where.sql}`, bindings: [registry, ...where.bindings] };
}

/** The bare count of the matches (`total`), nothing projected: alone or beside a walked page. */
function countQuery(registry: RegistryKey, parsed: ParsedSearch): SqlFragment {
  const from = matchesFrom(registry, parsed);
  return { sql: `SELECT count(*) AS total ${from.sql}`, bindings: from.bindings };
}

/** How many records match: the least any search with an exact total_count asks of PostgreSQL. */
export async function countMatches(db: Db | Knex.Transaction, registry: RegistryKey, parsed: ParsedSearch): Promise<number> {
  const count = countQuery(registry, parsed);
  const { rows } = await db.raw(count.sql, count.bindings as Knex.RawBinding[]);
  return Number(rows[0].total);
}

/** One page's IDs in the requested order, as PostgreSQL would plan that query alone (EXPLAIN-able). */
export function orderedPageQuery(db: Db | Knex.Transaction, registry: RegistryKey, parsed: ParsedSearch, pageSize: number, pageNumber: number): Knex.Raw {
  const from = matchesFrom(registry, parsed);
  const order = orderBySql(parsed.sort);
  return db.raw(`SELECT id ${from.sql} ORDER BY ${order.sql} LIMIT ? OFFSET ?`, [
    ...from.bindings,
    ...order.bindings,
    pageSize,
    (pageNumber - 1) * pageSize,
  ] as Knex.RawBinding[]);
}

/**
 * The IDs of one page of matches, each with the total count (what searchPage runs first;
 * EXPLAIN-able). The matches are first reduced to their IDs and sort keys (a materialized CTE), so
 * the count over all of them and the sort never carry whole records; the count is a scalar
 * subquery over that list (`count(*) OVER ()` buffered every match a second time: 7% slower at
 * 221,000 matches).
 */
export function pageQuery(db: Db | Knex.Transaction, registry: RegistryKey, parsed: ParsedSearch, pageSize: number, pageNumber: number): Knex.Raw {
  const from = matchesFrom(registry, parsed);
  const keys = parsed.sort.map((s) => sortKeySql(s));
  const order = orderOverKeys(parsed.sort, keys.map((_, i) => `k${i}`), 'id');
  return db.raw(
    `WITH matches AS MATERIALIZED (SELECT id${keys.map((k, i) => `, ${k.sql} AS k${i}`).join('')} ${from.sql})
     SELECT id, (SELECT count(*) FROM matches) AS total FROM matches ORDER BY ${order} LIMIT ? OFFSET ?`,
    [...keys.flatMap((k) => k.bindings), ...from.bindings, pageSize, (pageNumber - 1) * pageSize] as Knex.RawBinding[],
  );
}

/**
 * The largest share of the expected matches a page may end at for it to be read by walking an
 * index. The walk reads about (offset + page size) / (matches) of the index, so a planner that
 * expects 3x too many matches (multirange estimates can be: latitude/longitude expected 47,478,
 * found 15,870) makes it read 3x more: at 2.1% that walk took 193 ms where the list of matches took
 * 105 ms; at 1% or less such an error still reads a few thousand rows.
 */
const WALK_MAX_SHARE = 0.01;

/**
 * Whether a page query's plan walks an index in the requested order (a LIMIT over an index scan,
 * perhaps incrementally sorted), rather than reading every match and sorting them all, and the
 * page ends early among the matches the planner expects.
 */
function walksIndex(plan: PlanNode[], pageEnd: number): boolean {
  const scan = plan[plan.length - 1];
  const ordered = plan.every((n) => n.type !== 'Sort' && n.type !== 'Bitmap Heap Scan' && n.type !== 'Seq Scan');
  return ordered && (scan.type === 'Index Scan' || scan.type === 'Index Only Scan') && pageEnd <= WALK_MAX_SHARE * scan.rows;
}

export interface PagePlan {
  /** true: the page is read by walking an index in order and the total counted apart (see pageIds). */
  walk: boolean;
  /** PostgreSQL's plan for the ordered page alone (orderedPageQuery). */
  ordered: PlanNode[];
}

/** Asks PostgreSQL how it would find the page alone (one EXPLAIN); on a walk, that is how the page is read. */
export async function choosePagePlan(trx: Knex.Transaction, registry: RegistryKey, parsed: ParsedSearch, pageSize: number, pageNumber: number): Promise<PagePlan> {
  const ordered = await explainNodes(trx, orderedPageQuery(trx, registry, parsed, pageSize, pageNumber));
  return { walk: walksIndex(ordered, pageNumber * pageSize), ordered };
}

/**
 * One page's IDs and the total, read in one statement (one snapshot), or two when the count
 * refuses the walk or the list ends before the page.
 * - `walk`: the count reads the matches through their bitmaps without projecting anything, and the
 *   page comes from walking an index in order (the planner's choice for the page alone). Over
 *   1,000,000 records this saves what the list of matches costs, search p50 (records included):
 *   `$and` sorted by a number 181 -> 132 ms, `$in` 363 -> 313 ms, `$or`/`$ne` 565 -> 437 ms.
 * - otherwise pageQuery: one pass that keeps the matches' IDs and sort keys, counted and sorted
 *   (when the page needs every match sorted, a second scan for the count costs more, statement
 *   medians: latitude/longitude 127 ms this way, 225 ms split; `$or` of ranges sorted desc 215 vs 310 ms).
 */
export async function pageIds(
  trx: Db | Knex.Transaction,
  registry: RegistryKey,
  parsed: ParsedSearch,
  pageSize: number,
  pageNumber: number,
  walk: boolean,
  /** The total counted before in this snapshot's data version (matchCounts.ts): the walk then needs no count. */
  knownTotal?: number,
): Promise<{ total: number; ids: string[] }> {
  if (walk) {
    // The walk runs only if the count bears the planner out: its share of the matches is then truly
    // at most WALK_MAX_SHARE, so it reads at most that share of the index. Conditions that exclude
    // each other look independent to the planner, which can expect thousands of matches where
    // there are none; the walk would then read the whole index.
    const walkFrom = Math.ceil((pageNumber * pageSize) / WALK_MAX_SHARE);
    const page = orderedPageQuery(trx, registry, parsed, pageSize, pageNumber);
    let total = knownTotal;
    if (total === undefined) {
      const count = countQuery(registry, parsed);
      const ordered = page.toSQL();
      const { rows } = await trx.raw(`SELECT total, CASE WHEN total >= ? THEN ARRAY(${ordered.sql}) END AS ids FROM (${count.sql}) c`, [
        walkFrom,
        ...ordered.bindings,
        ...count.bindings,
      ] as Knex.RawBinding[]);
      total = Number(rows[0].total);
      if (rows[0].ids) return { total, ids: rows[0].ids };
    } else if (total >= walkFrom) {
      return { total, ids: (await page).rows.map((r: { id: string }) => r.id) };
    }
    if (total <= (pageNumber - 1) * pageSize) return { total, ids: [] }; // past the last page
    // Fewer matches than expected: listed instead (the count runs a second time).
  }
  const page: { id: string; total: string }[] = (await pageQuery(trx, registry, parsed, pageSize, pageNumber)).rows;
  if (page.length > 0) return { total: Number(page[0].total), ids: page.map((p) => p.id) };
  // Past the last page (or nothing matches): the total still has to be counted.
  return { total: await countMatches(trx, registry, parsed), ids: [] };
}

export interface SearchPage {
  total: number;
  records: Record<string, unknown>[];
}

/**
 * One page (1-based) of the matches in the requested order, and how many match in all (pageIds,
 * the way choosePagePlan picks), then the page's records by ID. With `counts`, a total counted
 * for an earlier page of the same search over the same data version is taken from there; with
 * `columns` of that version, the page and total are found in memory (or, where the sort is not on
 * a column held there, the total).
 */
export async function searchPage(
  db: Db,
  registry: RegistryKey,
  parsed: ParsedSearch,
  pageSize: number,
  pageNumber: number,
  counts?: MatchCountCache,
  columns?: FilterIndexes,
): Promise<SearchPage> {
  if (isIdentifierLookup(parsed)) {
    const found = await pageIds(db, registry, parsed, pageSize, pageNumber, false);
    return { total: found.total, records: await pageRecords(db, found.ids) };
  }
  let compact = false;
  const page = await inSearchTransaction(db, async (trx) => {
    const find = async () => {
      if (!counts && !columns) return pageIds(trx, registry, parsed, pageSize, pageNumber, (await choosePagePlan(trx, registry, parsed, pageSize, pageNumber)).walk);
      const { version, uncompacted } = await registryDataVersion(trx, registry);
      compact = uncompacted > COMPACT_ABOVE;
      const offset = (pageNumber - 1) * pageSize;
      // One look at the columns (it may wait for a patch): the page, or else at least the total.
      const inMemory = await columns?.use(registry, version, (records) => {
        const page = pageColumnar(records, parsed.where, parsed.sort, offset, pageSize);
        const total = page ? undefined : countColumnar(records, parsed.where);
        return page ? { page } : total === undefined ? undefined : { total };
      });
      if (inMemory?.page) return inMemory.page;
      const { walk } = await choosePagePlan(trx, registry, parsed, pageSize, pageNumber);
      const count = countQuery(registry, parsed);
      const known = inMemory?.total ?? counts?.get(registry, version, count);
      const found = await pageIds(trx, registry, parsed, pageSize, pageNumber, walk, known);
      counts?.set(registry, version, count, found.total);
      return found;
    };
    const found = await find();
    // In the same snapshot: every ID of the page still has its record, as the total counted it.
    return { total: found.total, records: await pageRecords(trx, found.ids) };
  });
  // The page is found: a fold that fails (it only tidies registry_writes) must not fail the search; the next search folds.
  if (compact) await compactRegistryWrites(db, registry).catch((err) => logger.warn({ err, registry }, 'folding registry writes failed; the next search folds them'));
  return page;
}

/** The page's records by ID, in the page's order; outside a snapshot, a record deleted since its ID was read is left out. */
async function pageRecords(q: Db | Knex.Transaction, ids: string[]): Promise<Record<string, unknown>[]> {
  if (ids.length === 0) return [];
  const rows: { id: string; record: Record<string, unknown> }[] = await q('registry_records').whereIn('id', ids).select('id', 'record');
  const byId = new Map(rows.map((r) => [r.id, r.record]));
  return ids.flatMap((id) => {
    const record = byId.get(id);
    return record ? [record] : [];
  });
}

/** Fixes the ordered matches of an async search item; returns their number. Re-running replaces them. */
export async function snapshotMatches(db: Db, correlationId: string, itemIndex: number, registry: RegistryKey, parsed: ParsedSearch): Promise<number> {
  const from = matchesFrom(registry, parsed);
  const order = orderBySql(parsed.sort);
  return inSearchTransaction(db, async (trx) => {
    await trx('dci_search_hits').where({ correlation_id: correlationId, item_index: itemIndex }).delete();
    const result = await trx.raw(
      `INSERT INTO dci_search_hits (correlation_id, item_index, position, record_id)
       SELECT ?, ?, row_number() OVER (ORDER BY ${order.sql}), id ${from.sql}`,
      [correlationId, itemIndex, ...order.bindings, ...from.bindings] as Knex.RawBinding[],
    );
    return result.rowCount as number;
  });
}

/** A page of a snapshot, in snapshot order (records as they are now). */
export async function snapshotPage(db: Db, correlationId: string, itemIndex: number, pageSize: number, pageNumber: number): Promise<Record<string, unknown>[]> {
  const rows = await db('dci_search_hits as h')
    .join('registry_records as r', 'r.id', 'h.record_id')
    .where({ 'h.correlation_id': correlationId, 'h.item_index': itemIndex })
    .whereBetween('h.position', [(pageNumber - 1) * pageSize + 1, pageNumber * pageSize])
    .orderBy('h.position')
    .select('r.record');
  return rows.map((r: { record: Record<string, unknown> }) => r.record);
}

export async function dropSnapshot(db: Db, correlationId: string): Promise<void> {
  await db('dci_search_hits').where({ correlation_id: correlationId }).delete();
}
