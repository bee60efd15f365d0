import type { Knex } from 'knex';
import type { Db } from '../../src/db/knex';
import { ownDatabase } from '../helpers/ownDatabase';
import type { Attribute } from '../../src/domain/dci/catalogue';
import { countColumnar, pageColumnar } from '../../src/domain/dci/columnar';
import { Cond, Op, orderBySql, parseSearchCriteria, parseSort, SortKey, toSql } from '../../src/domain/dci/query';
import { REGISTRIES, RegistryKey } from '../../src/domain/dci/registries';
import { FilterIndexes, readColumnar } from '../../src/services/dci/filterIndex';
import { generateRecords } from '../../src/services/dci/generate';
import { MatchCountCache, registryDataVersion } from '../../src/services/dci/matchCounts';
import { createRecord, upsertRecords } from '../../src/services/dci/records';
import { inSearchTransaction, searchPage } from '../../src/services/dci/search';
import { oddDrRecords, oddFrRecords } from '../helpers/dciOddRecords';

const expr = (query: unknown) => ({ type: 'ns:org:QueryType:NoSql', value: { expression: { query } } });

/** A small seeded generator, so that a failing tree is the same tree on the next run. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return { next, pick: <T>(items: T[]): T => items[Math.floor(next() * items.length)] };
}

/**
 * The in-memory filter columns (src/domain/dci/columnar.ts, src/services/dci/filterIndex.ts)
 * against PostgreSQL on a database of this file's own: every count they give is the count of the
 * SQL the search runs, over generated records and records of every stray shape, for every string
 * value and number bound, and for random trees of and/or/not.
 */
describe('DCI search: matches counted on the filter columns in memory', () => {
  const database = ownDatabase('steward_filter_index', async (db) => {
    await upsertRecords(db, 'fr', generateRecords('fr', 2000, 31, 0));
    await upsertRecords(db, 'dr', generateRecords('dr', 300, 31, 0));
    for (const record of oddFrRecords('ODD')) await createRecord(db, 'fr', record);
    for (const record of oddDrRecords('ODD')) await createRecord(db, 'dr', record);
  });
  let db: Db;
  beforeAll(() => {
    db = database();
  });

  const sqlCount = async (registry: RegistryKey, cond: Cond) => {
    const where = toSql(cond);
    const { rows } = await db.raw(`SELECT count(*) AS n FROM registry_records WHERE registry = ? AND ${where.sql}`, [registry, ...where.bindings] as Knex.RawBinding[]);
    return Number(rows[0].n);
  };

  /** Every leaf a search can put on the registry's typed columns, with values found in the records and beside them. */
  async function leaves(registry: RegistryKey): Promise<Cond[]> {
    const out: Cond[] = [];
    for (const attr of REGISTRIES[registry].catalogue.values()) {
      if (attr.stringsColumn) {
        const { rows } = await db.raw(`SELECT DISTINCT unnest(${attr.stringsColumn}) AS v FROM registry_records WHERE registry = ?`, [registry]);
        const values: string[] = [...rows.map((r: { v: string }) => r.v), 'no such value'];
        for (const value of values) for (const op of ['eq', 'ne'] as const) out.push({ kind: 'cmp', attr, op, value });
        out.push({ kind: 'cmp', attr, op: 'in', value: values.slice(0, 3) }, { kind: 'cmp', attr, op: 'in', value: values.slice(-2) });
      }
      if (attr.column) {
        const { rows } = await db.raw(
          `SELECT DISTINCT v::float8 AS v FROM (SELECT lower(${attr.column}) AS v FROM registry_records WHERE registry = ? UNION SELECT upper(${attr.column}) FROM registry_records WHERE registry = ?) b WHERE v IS NOT NULL`,
          [registry, registry],
        );
        const found: number[] = rows.map((r: { v: number }) => r.v).sort((a: number, b: number) => a - b);
        const values = [...new Set([found[0] - 1, ...found.filter((_, i) => i % Math.ceil(found.length / 12) === 0), found[found.length - 1], found[1] + 0.25, 3, 97])];
        for (const value of values) for (const op of ['lt', 'lte', 'gt', 'gte'] as Op[]) out.push({ kind: 'cmp', attr, op, value });
      }
    }
    return out;
  }

  test.each(['fr', 'dr'] as RegistryKey[])('%s: every leaf on a typed column counts what PostgreSQL counts', async (registry) => {
    const { records } = await readColumnar(db, registry);
    expect(records.size).toBe(registry === 'fr' ? 2010 : 302);
    const all = await leaves(registry);
    expect(all.length).toBeGreaterThan(registry === 'fr' ? 100 : 30);
    const mismatches = [];
    for (const cond of all) {
      const [memory, sql] = [countColumnar(records, cond), await sqlCount(registry, cond)];
      if (memory !== sql) mismatches.push({ cond: toSql(cond), memory, sql });
    }
    expect(mismatches).toEqual([]);
  });

  /** PostgreSQL's page of the same condition in the same order (what orderedPageQuery reads). */
  const sqlPage = async (cond: Cond, sort: SortKey[], offset: number, limit: number) => {
    const where = toSql(cond);
    const order = orderBySql(sort);
    const { rows } = await db.raw(`SELECT id FROM registry_records WHERE registry = 'fr' AND ${where.sql} ORDER BY ${order.sql} LIMIT ? OFFSET ?`, [
      ...where.bindings,
      ...order.bindings,
      limit,
      offset,
    ] as Knex.RawBinding[]);
    return rows.map((r: { id: string }) => r.id);
  };

  test('random trees of and/or/not over those leaves count what PostgreSQL counts, and page in its order; trees naming other attributes are left to PostgreSQL', async () => {
    const { records } = await readColumnar(db, 'fr');
    const all = await leaves('fr');
    const season = REGISTRIES.fr.catalogue.get('farm_details.farming_activities.crop_production.season')!;
    const uncovered: Cond = { kind: 'cmp', attr: season, op: 'eq', value: 'winter' };
    const rnd = prng(20261204);
    const tree = (depth: number): Cond => {
      const r = rnd.next();
      if (depth === 0 || r < 0.35) return rnd.pick(all);
      if (r < 0.5) return { kind: 'not', item: tree(depth - 1) };
      return { kind: r < 0.75 ? 'and' : 'or', items: Array.from({ length: 2 + Math.floor(rnd.next() * 2) }, () => tree(depth - 1)) };
    };
    const sortable = [...REGISTRIES.fr.catalogue.values()].filter((a) => a.column && a.path.startsWith('family_details'));
    const mismatches = [];
    const counts = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const cond = tree(3);
      const sort: SortKey[] = Array.from({ length: Math.floor(rnd.next() * 3) }, () => ({ attr: rnd.pick(sortable), order: rnd.pick(['asc', 'desc'] as const) }));
      const sql = await sqlCount('fr', cond);
      const [offset, limit] = [rnd.pick([0, 0, 7, Math.max(0, sql - 3), sql + 1]), rnd.pick([1, 5, 20])];
      const [memory, page] = [countColumnar(records, cond), pageColumnar(records, cond, sort, offset, limit)];
      const sqlIds = await sqlPage(cond, sort, offset, limit);
      counts.add(sql);
      if (memory !== sql || page?.total !== sql || JSON.stringify(page?.ids) !== JSON.stringify(sqlIds)) {
        mismatches.push({ cond: toSql(cond), sort: sort.map((k) => `${k.attr.path} ${k.order}`), offset, limit, memory, sql, page, sqlIds });
      }
    }
    expect(mismatches).toEqual([]);
    expect(counts.size).toBeGreaterThan(50); // trees that select very different sets, not all or nothing
    expect(countColumnar(records, { kind: 'or', items: [all[0], uncovered] })).toBeUndefined();
    const lookup = parseSearchCriteria(REGISTRIES.fr, { query_type: 'idtype-value', query: { type: 'NationalID', value: 'ODDodd1' } });
    expect(countColumnar(records, lookup.where)).toBeUndefined();
  });

  test('searches are answered from the columns once they are of their data version, and by PostgreSQL after a write until they are read again', async () => {
    const columns = new FilterIndexes(db, 0, () => 0); // a clock that stands still: each read may start at once
    const parsed = parseSearchCriteria(REGISTRIES.fr, {
      query_type: 'expression',
      query: expr({ $or: [{ 'farm_details.farming_activities.crop_production.crop_type': 'Rice' }, { 'machineries_details.type': 'Hand tools' }], 'family_details.group_type': { $ne: 'household' } }),
      pagination: { page_size: 10, page_number: 1 },
    });
    const page = (n: number) => searchPage(db, 'fr', parsed, 10, n, undefined, columns);
    const uncounted = await searchPage(db, 'fr', parsed, 10, 2); // no kept total, no columns: PostgreSQL alone
    expect(await page(2)).toEqual(uncounted); // columns not read yet: counted in PostgreSQL, the read starts
    expect(columns.used).toBe(0);
    await columns.settle();
    expect(columns.builds).toBe(1);
    // Per record: the 16-byte id and two doubles for each of 4 number columns; then the strings' postings.
    expect(columns.bytes()).toBeGreaterThan(2010 * (16 + 4 * 16));
    expect(await page(2)).toEqual(uncounted);
    expect(await page(1)).toEqual(await searchPage(db, 'fr', parsed, 10, 1));
    expect(columns.used).toBe(2);
    // A new matching record: the next search reads another version, counts in PostgreSQL and starts a read.
    const record = generateRecords('fr', 1, 32, 5000)[0] as { family_details: { group_type: string }; machineries_details: { type: string }[] };
    record.family_details.group_type = 'family';
    record.machineries_details = [{ type: 'Hand tools' }];
    await createRecord(db, 'fr', record);
    expect((await page(1)).total).toBe(uncounted.total + 1);
    expect(columns.used).toBe(2);
    await columns.settle();
    expect((await page(1)).total).toBe(uncounted.total + 1);
    expect(columns).toMatchObject({ used: 3, builds: 2 });
    // With the columns current, every page comes from them; the kept totals are not asked.
    const kept = new MatchCountCache();
    await searchPage(db, 'fr', parsed, 10, 1, kept, columns);
    expect(columns.used).toBe(4);
    await searchPage(db, 'fr', parsed, 10, 2, kept, columns);
    expect({ used: columns.used, hits: kept.hits }).toEqual({ used: 5, hits: 0 });
    // Sorted by a string (PostgreSQL's collation orders strings): the page is read in PostgreSQL, its total counted in memory.
    const byType = { ...parsed, sort: parseSort(REGISTRIES.fr, [{ attribute_name: 'group_type', sort_order: 'desc' }]) };
    expect(await searchPage(db, 'fr', byType, 10, 3, undefined, columns)).toEqual(await searchPage(db, 'fr', byType, 10, 3));
    expect(columns.used).toBe(6);
  });

  test('reads of a registry start no sooner than refreshMs, nor than 4 times the last read\'s duration, after the last start', async () => {
    let now = 0;
    const columns = new FilterIndexes(db, 1000, () => now);
    const builds = async () => {
      await columns.settle();
      return columns.builds;
    };
    columns.refresh('dr');
    columns.refresh('dr'); // one read at a time
    now = 2500; // the read "took" 2.5 s
    expect(await builds()).toBe(1);
    now = 9999;
    columns.refresh('dr');
    expect(await builds()).toBe(1);
    now = 10_000;
    columns.refresh('dr'); // took no time: the next waits refreshMs
    expect(await builds()).toBe(2);
    now = 10_999;
    columns.refresh('dr');
    expect(await builds()).toBe(2);
    now = 11_000;
    columns.refresh('dr');
    expect(await builds()).toBe(3);
    // A search whose snapshot is older than the columns held starts no read; one that is newer does.
    now = 100_000;
    const held = await inSearchTransaction(db, (trx) => registryDataVersion(trx, 'dr'));
    expect(columns.use('dr', (BigInt(held.version) - 1n).toString(), () => 1)).toBeUndefined();
    expect(await builds()).toBe(3);
    expect(columns.use('dr', held.version, () => 1)).toBe(1);
    expect(columns.use('dr', (BigInt(held.version) + 1n).toString(), () => 1)).toBeUndefined();
    expect(await builds()).toBe(4);
  });

  test('a number column holding a value no double is exactly is left to PostgreSQL; the other columns still count', async () => {
    // jsonb keeps numeric's every digit; a double would round this to 0.1, which a bound of 0.1 would then miss.
    await db.raw(`INSERT INTO registry_records (registry, identifier, record) VALUES ('fr', 'INEXACT1', '{"family_details": {"poverty_score": 0.10000000000000000001, "group_size": 1}}'::jsonb)`);
    const { records } = await readColumnar(db, 'fr');
    expect(records.numbers.has('num_fr_poverty_score')).toBe(false);
    const poverty = REGISTRIES.fr.catalogue.get('family_details.poverty_score') as Attribute;
    const size = REGISTRIES.fr.catalogue.get('family_details.group_size') as Attribute;
    expect(countColumnar(records, { kind: 'cmp', attr: poverty, op: 'gt', value: 0.1 })).toBeUndefined();
    const small: Cond = { kind: 'cmp', attr: size, op: 'lte', value: 1 };
    expect(countColumnar(records, small)).toBe(await sqlCount('fr', small));
  });
});
