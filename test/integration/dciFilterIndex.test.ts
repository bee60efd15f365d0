import type { Knex } from 'knex';
import type { Db } from '../../src/db/knex';
import { eventually } from '../helpers/harness';
import { ownDatabase } from '../helpers/ownDatabase';
import type { Attribute } from '../../src/domain/dci/catalogue';
import { Columnar, countColumnar, heldCount, pageColumnar } from '../../src/domain/dci/columnar';
import { Cond, Op, orderBySql, parseSearchCriteria, parseSort, SortKey, toSql } from '../../src/domain/dci/query';
import { REGISTRIES, RegistryKey } from '../../src/domain/dci/registries';
import { FilterIndexes, Held, patchHeld, readColumnar } from '../../src/services/dci/filterIndex';
import { generateRecords } from '../../src/services/dci/generate';
import { MatchCountCache, pruneRegistryChanges, registryDataVersion } from '../../src/services/dci/matchCounts';
import { createRecord, updateRecord, upsertRecords } from '../../src/services/dci/records';
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

  /** `n` seeded random and/or/not trees over the leaves, with random number sorts and pages: where the columns' answer is not PostgreSQL's. */
  async function randomSearches(columns: Columnar, seed: number, n: number) {
    const all = await leaves('fr');
    const rnd = prng(seed);
    const tree = (depth: number): Cond => {
      const r = rnd.next();
      if (depth === 0 || r < 0.35) return rnd.pick(all);
      if (r < 0.5) return { kind: 'not', item: tree(depth - 1) };
      return { kind: r < 0.75 ? 'and' : 'or', items: Array.from({ length: 2 + Math.floor(rnd.next() * 2) }, () => tree(depth - 1)) };
    };
    const sortable = [...REGISTRIES.fr.catalogue.values()].filter((a) => a.column && a.path.startsWith('family_details'));
    const mismatches = [];
    const counts = new Set<number>();
    for (let i = 0; i < n; i++) {
      const cond = tree(3);
      const sort: SortKey[] = Array.from({ length: Math.floor(rnd.next() * 3) }, () => ({ attr: rnd.pick(sortable), order: rnd.pick(['asc', 'desc'] as const) }));
      const sql = await sqlCount('fr', cond);
      const [offset, limit] = [rnd.pick([0, 0, 7, Math.max(0, sql - 3), sql + 1]), rnd.pick([1, 5, 20])];
      const [memory, page] = [countColumnar(columns, cond), pageColumnar(columns, cond, sort, offset, limit)];
      const sqlIds = await sqlPage(cond, sort, offset, limit);
      counts.add(sql);
      if (memory !== sql || page?.total !== sql || JSON.stringify(page?.ids) !== JSON.stringify(sqlIds)) {
        mismatches.push({ cond: toSql(cond), sort: sort.map((k) => `${k.attr.path} ${k.order}`), offset, limit, memory, sql, page, sqlIds });
      }
    }
    return { mismatches, distinctCounts: counts.size };
  }

  test('random trees of and/or/not over those leaves count what PostgreSQL counts, and page in its order; trees naming other attributes are left to PostgreSQL', async () => {
    const { records } = await readColumnar(db, 'fr');
    const { mismatches, distinctCounts } = await randomSearches(records, 20261204, 300);
    expect(mismatches).toEqual([]);
    expect(distinctCounts).toBeGreaterThan(50); // trees that select very different sets, not all or nothing
    const all = await leaves('fr');
    const season = REGISTRIES.fr.catalogue.get('farm_details.farming_activities.crop_production.season')!;
    const uncovered: Cond = { kind: 'cmp', attr: season, op: 'eq', value: 'winter' };
    expect(countColumnar(records, { kind: 'or', items: [all[0], uncovered] })).toBeUndefined();
    const lookup = parseSearchCriteria(REGISTRIES.fr, { query_type: 'idtype-value', query: { type: 'NationalID', value: 'ODDodd1' } });
    expect(countColumnar(records, lookup.where)).toBeUndefined();
  });

  test('searches are answered from the columns once they are of their data version; after a write, once patched (a search waits for the patch it starts)', async () => {
    // A clock that stands still: each read may start at once; a search waits up to 10 s for a patch (so a loaded machine changes nothing here).
    const columns = new FilterIndexes(db, 0, () => 0, undefined, 10_000);
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
    // A new matching record: the next search reads another version and starts a patch, which it
    // waits for (patchWaitMs), then answers from the patched columns.
    const matching = (n: number) => {
      const record = generateRecords('fr', 1, 32, 5000 + n)[0] as { family_details: { group_type: string }; machineries_details: { type: string }[] };
      record.family_details.group_type = 'family';
      record.machineries_details = [{ type: 'Hand tools' }];
      return createRecord(db, 'fr', record);
    };
    await matching(0);
    expect((await page(1)).total).toBe(uncounted.total + 1);
    expect(columns).toMatchObject({ used: 3, builds: 1, patches: 1 });
    // Not waiting: that search's page is found in PostgreSQL (its total may come from the columns
    // if the patch ends first), and the next search is answered from the patched columns.
    const impatient = new FilterIndexes(db, 0, () => 0, undefined, 0);
    await searchPage(db, 'fr', parsed, 10, 1, undefined, impatient);
    await impatient.settle();
    await matching(1);
    const usedBefore = impatient.used;
    expect((await searchPage(db, 'fr', parsed, 10, 1, undefined, impatient)).total).toBe(uncounted.total + 2);
    await impatient.settle();
    expect(impatient).toMatchObject({ builds: 1, patches: 1 });
    expect(impatient.used - usedBefore).toBeLessThanOrEqual(1); // the total at most, never the page
    const usedPatched = impatient.used;
    expect((await searchPage(db, 'fr', parsed, 10, 1, undefined, impatient)).total).toBe(uncounted.total + 2);
    expect(impatient.used).toBe(usedPatched + 1);
    expect((await page(1)).total).toBe(uncounted.total + 2);
    expect(columns).toMatchObject({ used: 4, builds: 1, patches: 2 });
    // With the columns current, every page comes from them; the kept totals are not asked.
    const kept = new MatchCountCache();
    await searchPage(db, 'fr', parsed, 10, 1, kept, columns);
    expect(columns.used).toBe(5);
    await searchPage(db, 'fr', parsed, 10, 2, kept, columns);
    expect({ used: columns.used, hits: kept.hits }).toEqual({ used: 6, hits: 0 });
    // Sorted by a string (PostgreSQL's collation orders strings): the page is read in PostgreSQL, its total counted in memory.
    const byType = { ...parsed, sort: parseSort(REGISTRIES.fr, [{ attribute_name: 'group_type', sort_order: 'desc' }]) };
    expect(await searchPage(db, 'fr', byType, 10, 3, undefined, columns)).toEqual(await searchPage(db, 'fr', byType, 10, 3));
    expect(columns.used).toBe(7);
  });

  /** A write whose records are not listed (as a bulk load's or a TRUNCATE's): the next refresh must read everything. */
  const unlistedWrite = (registry: RegistryKey) =>
    db.transaction(async (trx) => {
      await trx.raw('UPDATE registry_records SET version = version WHERE id = (SELECT id FROM registry_records WHERE registry = ? LIMIT 1)', [registry]);
      await trx.raw('INSERT INTO registry_changes (registry, xid) VALUES (?, pg_current_xact_id())', [registry]);
    });

  test("full reads start no sooner than refreshMs, nor than 4 times the last one's duration, after the last start; patches 4 times their own duration after theirs", async () => {
    let now = 0;
    const columns = new FilterIndexes(db, 1000, () => now);
    const settled = async () => {
      await columns.settle();
      return { builds: columns.builds, patches: columns.patches };
    };
    /** Sets the clock, asks for a refresh, and says what has been done once it ends. */
    const refreshAt = async (time: number, done: { builds: number; patches: number }) => {
      now = time;
      columns.refresh('dr');
      expect(await settled()).toEqual(done);
    };
    columns.refresh('dr'); // one refresh at a time
    columns.refresh('dr');
    now = 2500; // the read "took" 2.5 s
    expect(await settled()).toEqual({ builds: 1, patches: 0 });
    await refreshAt(2500, { builds: 1, patches: 1 }); // a full read never holds back a patch (nothing written: it changes nothing)
    await unlistedWrite('dr');
    await refreshAt(2500, { builds: 1, patches: 1 }); // the patch gives way to a full read, not before 10 s (4 x 2.5 s)
    await refreshAt(9999, { builds: 1, patches: 1 }); // no patch is tried until a full read
    await refreshAt(10_000, { builds: 2, patches: 1 });
    await unlistedWrite('dr');
    await refreshAt(10_000, { builds: 2, patches: 1 }); // that read took no time: the next waits refreshMs
    await refreshAt(10_999, { builds: 2, patches: 1 });
    await refreshAt(11_000, { builds: 3, patches: 1 });
    // A patch that "takes" 0.5 s: the next refresh 2 s after it started.
    now = 20_000;
    columns.refresh('dr');
    now = 20_500;
    expect(await settled()).toEqual({ builds: 3, patches: 2 });
    await refreshAt(21_999, { builds: 3, patches: 2 });
    await refreshAt(22_000, { builds: 3, patches: 3 });
    // A search whose snapshot is older than the columns held starts no refresh; one that is newer does.
    now = 100_000;
    const held = await inSearchTransaction(db, (trx) => registryDataVersion(trx, 'dr'));
    expect(await columns.use('dr', (BigInt(held.version) - 1n).toString(), () => 1)).toBeUndefined();
    expect(await settled()).toEqual({ builds: 3, patches: 3 });
    expect(await columns.use('dr', held.version, () => 1)).toBe(1);
    expect(await columns.use('dr', (BigInt(held.version) + 1n).toString(), () => 1)).toBeUndefined();
    expect(await settled()).toEqual({ builds: 3, patches: 4 });
  });

  test('a patch reads only the records written since the full read (inserted, updated, deleted, moved in from the other registry), and its columns answer as PostgreSQL does', async () => {
    const read = await readColumnar(db, 'fr');
    const first: Held = { version: read.version, snapshot: read.snapshot, base: read.records, columns: read.records };
    let held = first;
    const rnd = prng(424242);
    const frIds = async () => (await db('registry_records').where({ registry: 'fr' }).orderBy('id').pluck('id')) as string[];
    let expectedSize = read.records.size;
    const written = new Set<string>();
    const mismatches = [];
    for (let round = 0; round < 3; round++) {
      const before = new Set(await frIds());
      await upsertRecords(db, 'fr', generateRecords('fr', 8, 900 + round, 50_000 + 100 * round));
      const ids = [...before];
      for (let k = 0; k < 8; k++) {
        const id = rnd.pick(ids);
        await updateRecord(db, 'fr', id, { family_details: { group_size: Math.floor(rnd.next() * 12), group_type: rnd.pick(['family', 'household', 'cooperative']) } }, 'merge');
      }
      const gone = [rnd.pick(ids), rnd.pick(ids)];
      await db('registry_records').whereIn('id', gone).delete();
      // A DR record moved into FR (its identifier is its own): written for both registries.
      const moved = (await db('registry_records').where({ registry: 'dr' }).whereNot('identifier', 'like', 'ODD%').first('id')).id as string;
      await db('registry_records').where({ id: moved }).update({ registry: 'fr' });
      const after = await frIds();
      for (const id of [...after.filter((id) => !before.has(id)), ...gone, moved]) written.add(id);
      expectedSize = after.length;

      const patched = await patchHeld(db, 'fr', held, 1000);
      expect(patched).toBeDefined();
      held = patched!;
      expect(held.version).toBe((await inSearchTransaction(db, (trx) => registryDataVersion(trx, 'fr'))).version);
      expect(held.base).toBe(read.records); // patched, not read again
      expect(heldCount(held.columns)).toBe(expectedSize);
      const { mismatches: found } = await randomSearches(held.columns, 77 + round, 80);
      mismatches.push(...found);
    }
    expect(mismatches).toEqual([]);
    // The extra part holds only records written (those updated may be fewer: picks repeat).
    expect('base' in held.columns && held.columns.extra.size).toBeLessThanOrEqual(written.size + 24);
    // Past `atMost` records written, or after a write that listed none, a full read is needed.
    expect(await patchHeld(db, 'fr', first, 5)).toBeUndefined();
    await unlistedWrite('fr');
    expect(await patchHeld(db, 'fr', held, 1000)).toBeUndefined();
  });

  test('pruned lists of records written: columns read before the bound read everything again; those read after still patch', async () => {
    const old = await readColumnar(db, 'dr');
    const oldHeld: Held = { version: old.version, snapshot: old.snapshot, base: old.records, columns: old.records };
    await updateRecord(db, 'dr', (await db('registry_records').where({ registry: 'dr' }).first('id')).id, { poverty_score: 42 }, 'merge');
    expect(await patchHeld(db, 'dr', oldHeld, 1000)).toBeDefined();
    // Each prune drops the lists before the oldest snapshot the previous one saw. Snapshots are the
    // cluster's: another test file's open transaction holds that bound back, so prune until it
    // passes the read's snapshot (a bound no later than the read's keeps the old columns patchable).
    await eventually(async () => {
      await pruneRegistryChanges(db);
      const { rows } = await db.raw('SELECT pruned_below > pg_snapshot_xmin(?::pg_snapshot) AS past FROM registry_changes_pruning', [old.snapshot]);
      return rows[0].past || undefined;
    }, 30_000, 100);
    expect(await patchHeld(db, 'dr', oldHeld, 1000)).toBeUndefined();
    const fresh = await readColumnar(db, 'dr');
    const freshHeld: Held = { version: fresh.version, snapshot: fresh.snapshot, base: fresh.records, columns: fresh.records };
    await updateRecord(db, 'dr', (await db('registry_records').where({ registry: 'dr' }).first('id')).id, { poverty_score: 43 }, 'merge');
    const patched = await patchHeld(db, 'dr', freshHeld, 1000);
    expect(patched && 'base' in patched.columns && patched.columns.extra.size).toBe(1);
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
