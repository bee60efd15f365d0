import { loadConfig } from '../../src/config';
import { describePlan, explainNodes } from '../../src/db/explain';
import { createDb, Db } from '../../src/db/knex';
import { parseSearchCriteria } from '../../src/domain/dci/query';
import { REGISTRIES } from '../../src/domain/dci/registries';
import { isSingleValued } from '../../src/domain/dci/catalogue';
import { generateRecords } from '../../src/services/dci/generate';
import { upsertRecords } from '../../src/services/dci/records';
import { choosePagePlan, inSearchTransaction, pageIds, pageQuery, searchPage } from '../../src/services/dci/search';

const LOWER_POVERTY = 'registry_records_num_fr_poverty_score_lower|registry_records_num_fr_poverty_score_desc';
const expr = (query: unknown) => ({ type: 'ns:org:QueryType:NoSql', value: { expression: { query } } });

/**
 * The registry query shapes the indexes are for, checked from EXPLAIN on real records: each must
 * be able to use its index. Sequential scans are switched off for the check (on a table this small
 * the planner would rightly scan it whole), so a plan without the index means the translated
 * condition does not match any index expression.
 */
describe('DCI registry query plans', () => {
  let db: Db;
  beforeAll(async () => {
    db = createDb(loadConfig().databaseUrl!);
    // A seed of this test's own, so other suites' generated records are untouched.
    await upsertRecords(db, 'fr', generateRecords('fr', 2000, 912, 0));
    // VACUUM also merges the GIN index's pending list, which would otherwise make it look expensive.
    await db.raw('VACUUM ANALYZE registry_records');
  });
  afterAll(() => db.destroy());

  const plan = async (criteria: Record<string, unknown>) => {
    const parsed = parseSearchCriteria(REGISTRIES.fr, criteria);
    return db.transaction(async (trx) => {
      await trx.raw('SET LOCAL enable_seqscan = off');
      return explainNodes(trx, pageQuery(trx as unknown as Db, 'fr', parsed, 100, 1));
    });
  };

  it.each([
    ['$eq on a nested list attribute (its strings column)', { farm_type: { $eq: 'Cooperative farms' } }, ['registry_records_str_fr_farm_type']],
    ['$in (array overlap on its strings column)', { 'farm_info.location.name': { $in: ['Chiang Mai', 'Lampang'] } }, ['registry_records_str_fr_place_name']],
    ['$eq three lists deep (crop_type)', { 'farm_details.farming_activities.crop_production.crop_type': 'Rice' }, ['registry_records_str_fr_crop_type']],
    ['$or of $eq on two strings columns', { $or: [{ 'farm_details.farming_activities.crop_production.crop_type': 'Rice' }, { 'machineries_details.type': 'Hand tools' }] }, ['registry_records_str_fr_crop_type', 'registry_records_str_fr_machinery_type']],
    ['$eq on a number (containment on the record)', { 'family_details.group_size': 3 }, ['registry_records_record_gin']],
    ['$eq on a string without a strings column (containment on the record)', { 'farm_details.farming_activities.crop_production.season': 'winter' }, ['registry_records_record_gin']],
    // Either btree on the smallest: the ascending one, or the descending sort one (its first column is the same expression).
    ['$lt on a single-valued number (btree on its smallest)', { 'family_details.poverty_score': { $lt: 20 } }, [LOWER_POVERTY]],
    ['$gte on a single-valued number (btree on its largest)', { 'family_details.group_size': { $gte: 4 } }, ['registry_records_num_fr_group_size_upper']],
    [
      '$or of ranges on both ends of one number',
      { $or: [{ 'family_details.poverty_score': { $lt: 5 } }, { 'family_details.poverty_score': { $gt: 95 } }] },
      [LOWER_POVERTY, 'registry_records_num_fr_poverty_score_upper'],
    ],
    [
      // One index, or both ANDed: on narrow tuples rechecking the other range can cost less than its bitmap.
      'latitude/longitude ranges through the farm list (the seed example)',
      { $and: [{ 'farm_info.location.geo.latitude': { $gte: 9.5, $lte: 9.6 } }, { 'farm_info.location.geo.longitude': { $gte: 100, $lte: 100.05 } }] },
      ['registry_records_num_fr_latitude|registry_records_num_fr_longitude'],
    ],
    [
      // Either index may lead (or both, ANDed): which one depends on the statistics of the moment.
      '$and of $eq and a range (one of its indexes at least)',
      { $and: [{ farm_type: { $eq: 'Cooperative farms' } }, { 'family_details.poverty_score': { $lt: 20 } }] },
      [`registry_records_str_fr_farm_type|${LOWER_POVERTY}`],
    ],
  ])('%s uses its index', async (_name, query, indexes) => {
    const nodes = await plan({ query_type: 'expression', query: expr(query) });
    const used = nodes.filter((n) => n.index).map((n) => n.index!);
    for (const alternatives of indexes) {
      const ok = alternatives.split('|').some((index) => used.includes(index));
      expect({ plan: describePlan(nodes), used: ok }).toEqual({ plan: describePlan(nodes), used: true });
    }
    expect(nodes.map((n) => n.type)).not.toContain('Seq Scan');
  });

  it('has the btrees on both bounds and the descending sort btree of every single-valued number column, and a GiST index on the others', async () => {
    const { rows } = await db.raw(`SELECT indexname FROM pg_indexes WHERE tablename = 'registry_records'`);
    const names = new Set(rows.map((r: { indexname: string }) => r.indexname));
    const checked = [];
    for (const registry of Object.values(REGISTRIES)) {
      for (const attr of registry.catalogue.values()) {
        if (!attr.column) continue;
        const expected = isSingleValued(attr)
          ? [`registry_records_${attr.column}_lower`, `registry_records_${attr.column}_upper`, `registry_records_${attr.column}_desc`]
          : [`registry_records_${attr.column}`];
        checked.push(...expected.filter((name) => names.has(name)));
        expect(expected.filter((name) => !names.has(name))).toEqual([]);
      }
    }
    expect(checked).toHaveLength(11); // FR poverty score, group size (three each), latitude, longitude; DR poverty score (three)
  });

  it('idtype-value uses the unique btree on the identifier', async () => {
    const nodes = await plan({ query_type: 'idtype-value', query: { type: 'NationalID', value: 'M0009120000042' } });
    expect(nodes.map((n) => n.index)).toContain('registry_records_registry_identifier_unique');
  });

  it('keeps records out of the main heap (TOAST, uncompressed), so matches are counted from narrow tuples', async () => {
    const { rows } = await db.raw(`SELECT attstorage FROM pg_attribute WHERE attrelid = 'registry_records'::regclass AND attname = 'record'`);
    expect(rows[0].attstorage).toBe('e');
    const { rows: stored } = await db.raw(
      `SELECT count(*)::int AS records, count(pg_column_toast_chunk_id(record))::int AS out_of_line
         FROM registry_records WHERE registry = 'fr' AND identifier LIKE 'M000912%'`,
    );
    expect(stored[0]).toEqual({ records: 2000, out_of_line: 2000 });
  });

  describe('a page by an index walk, the total counted apart', () => {
    const broad = { 'family_details.poverty_score': { $gte: 0 } };
    it.each([
      // A page of 1 ends within 1% of the 2,000+ matches: the walk runs. A page ending at 200: it
      // does not (the count is under 100 x 200), the matches are listed after the count.
      ['no sort (by ID), a page of one', broad, [], 1, 1],
      ['no sort, fewer matches than a walk needs', broad, [], 100, 2],
      ['no sort (by ID), first page', broad, [], 10, 1],
      ['no sort, a later page', { farm_type: { $eq: 'Cooperative farms' } }, [], 25, 3],
      ['sorted by a number ascending', broad, [{ attribute_name: 'poverty_score', sort_order: 'asc' }], 50, 2],
      ['sorted by a number descending, then by a string', broad, [{ attribute_name: 'group_size', sort_order: 'desc' }, { attribute_name: 'group_type' }], 30, 4],
      ['$or of ranges sorted by another number', { $or: [{ 'family_details.poverty_score': { $lt: 5 } }, { 'family_details.poverty_score': { $gt: 95 } }] }, [{ attribute_name: 'group_size', sort_order: 'desc' }], 20, 1],
      ['past the last page', broad, [], 100, 100_000],
      // Quotes, a backslash, a question mark and a $1 in a value: values stay bound, EXPLAIN included.
      ['nothing matches', { farm_type: { $eq: "no such farm type: it's \\ ? $1" } }, [], 10, 1],
    ])('%s: the same page and total as the list of matches', async (_name, query, sort, pageSize, pageNumber) => {
      const parsed = parseSearchCriteria(REGISTRIES.fr, { query_type: 'expression', query: expr(query), sort });
      const walked = await inSearchTransaction(db, (trx) => pageIds(trx, 'fr', parsed, pageSize, pageNumber, true));
      const listed = await inSearchTransaction(db, (trx) => pageIds(trx, 'fr', parsed, pageSize, pageNumber, false));
      expect(walked).toEqual(listed);
      // And the way a search picks (one EXPLAIN of the page alone, then one of the two).
      const searched = await searchPage(db, 'fr', parsed, pageSize, pageNumber);
      expect({ total: searched.total, records: searched.records.length }).toEqual({ total: listed.total, records: listed.ids.length });
      if (pageNumber === 1 && listed.total > 0) expect(listed.ids).toHaveLength(Math.min(pageSize, listed.total));
    });

    it('is chosen only when the planner walks an index in order and the page ends early among the matches it expects', async () => {
      const parsed = parseSearchCriteria(REGISTRIES.fr, { query_type: 'expression', query: expr(broad) });
      const { rows } = await db.raw(`SELECT count(*)::int AS n FROM registry_records WHERE registry = 'fr'`);
      const choose = (pageSize: number, pageNumber: number, settings: string[], search = parsed) =>
        inSearchTransaction(db, async (trx) => {
          for (const setting of settings) await trx.raw(`SET LOCAL ${setting}`);
          return choosePagePlan(trx, 'fr', search, pageSize, pageNumber);
        });
      const walkOnly = ['enable_sort = off', 'enable_bitmapscan = off', 'enable_seqscan = off'];
      const first = await choose(10, 1, walkOnly);
      expect({ walk: first.walk, plan: describePlan(first.ordered) }).toEqual({ walk: true, plan: 'Limit > Index Scan(registry_records_pkey)' });
      // A page ending past 1% of the expected matches: the list of matches, whatever the planner would walk.
      expect((await choose(10, Math.ceil(rows[0].n / 10), walkOnly)).walk).toBe(false);
      // Sorted by a number, either way: the walk of its btree in that order (ties by ID in the descending one).
      const sortedBy = (order: string) => parseSearchCriteria(REGISTRIES.fr, { query_type: 'expression', query: expr(broad), sort: [{ attribute_name: 'group_size', sort_order: order }] });
      for (const [order, plan] of [
        ['desc', 'Limit > Index Scan(registry_records_num_fr_group_size_desc)'],
        ['asc', 'Limit > Incremental Sort > Index Scan(registry_records_num_fr_group_size_lower)'],
      ]) {
        const chosen = await choose(10, 1, walkOnly, sortedBy(order));
        expect({ order, walk: chosen.walk, plan: describePlan(chosen.ordered) }).toEqual({ order, walk: true, plan });
      }
      const sorted = await choose(10, 1, ['enable_indexscan = off']);
      expect({ walk: sorted.walk, plan: describePlan(sorted.ordered) }).toEqual({ walk: false, plan: expect.stringContaining('Sort') });
    });
  });

  it('an unindexed shape (a range on a text date) still runs, filtered without a range index', async () => {
    const nodes = await plan({ query_type: 'expression', query: expr({ registration_date: { $gt: '2023-01-01' } }) });
    expect(nodes.filter((n) => n.index?.startsWith('registry_records_num_'))).toEqual([]);
  });
});
