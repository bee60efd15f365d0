import type { Db } from '../../src/db/knex';
import { ownDatabase } from '../helpers/ownDatabase';
import { parseSearchCriteria } from '../../src/domain/dci/query';
import { REGISTRIES, RegistryKey } from '../../src/domain/dci/registries';
import { generateRecords } from '../../src/services/dci/generate';
import { compactRegistryWrites, foldRegistryWrites, MatchCountCache, registryDataVersion } from '../../src/services/dci/matchCounts';
import { createRecord, upsertRecords } from '../../src/services/dci/records';
import { inSearchTransaction, pageIds, searchPage } from '../../src/services/dci/search';

const expr = (query: unknown) => ({ type: 'ns:org:QueryType:NoSql', value: { expression: { query } } });
const IN_PLACES = parseSearchCriteria(REGISTRIES.fr, {
  query_type: 'expression',
  query: expr({ 'farm_info.location.name': { $in: ['Chiang Mai', 'Lampang'] }, 'family_details.group_size': { $gte: 4 } }),
  pagination: { page_size: 10, page_number: 1 },
});

/**
 * Kept total_counts (matchCounts.ts) against a real PostgreSQL: a count is handed back only to a
 * search whose snapshot reads the same registry data version, whichever way the records were
 * written. A database of this file's own, so that no other suite's writes change the versions
 * while a test expects them unchanged.
 */
describe('DCI search: kept total_counts per registry data version', () => {
  const database = ownDatabase('steward_match_counts', async (db) => {
    await upsertRecords(db, 'fr', generateRecords('fr', 3000, 77, 0));
    await upsertRecords(db, 'dr', generateRecords('dr', 50, 77, 0));
    await db.raw('VACUUM ANALYZE registry_records');
  });
  let db: Db;
  beforeAll(() => {
    db = database();
  });

  const version = (registry: RegistryKey = 'fr') => inSearchTransaction(db, (trx) => registryDataVersion(trx, registry));
  const page = (n: number, counts?: MatchCountCache) => searchPage(db, 'fr', IN_PLACES, 10, n, counts);
  /** A new FR record matching IN_PLACES (Lampang, a group of 6). */
  const matchingRecord = (i: number) => {
    const record = generateRecords('fr', 1, 78, i)[0] as { farm_details: { place: { name: string } }[]; family_details: { group_size: number } };
    record.farm_details[0].place.name = 'Lampang';
    record.family_details.group_size = 6;
    return record;
  };

  test('later pages of a search take its total from the cache and are the pages an uncached search reads', async () => {
    const counts = new MatchCountCache();
    const first = await page(1, counts);
    expect(counts).toMatchObject({ hits: 0, misses: 1, size: 1 });
    const second = await page(2, counts);
    const third = await page(3, counts);
    expect(counts).toMatchObject({ hits: 2, misses: 1, size: 1 });
    expect(first.total).toBeGreaterThan(100);
    for (const [n, cached] of [[1, first], [2, second], [3, third]] as const) expect(cached).toEqual(await page(n));
    // The walk with a known total reads the page the walk with its own count reads (pages of one:
    // they end early enough among the matches to be walked), also past the last page.
    for (const n of [1, 7, first.total + 1]) {
      const counted = await inSearchTransaction(db, (trx) => pageIds(trx, 'fr', IN_PLACES, 1, n, true));
      expect(counted.ids).toHaveLength(n > first.total ? 0 : 1);
      expect(await inSearchTransaction(db, (trx) => pageIds(trx, 'fr', IN_PLACES, 1, n, true, counted.total))).toEqual(counted);
    }
  });

  test('a write still open leaves the version; its commit moves it and the next search counts again', async () => {
    const counts = new MatchCountCache();
    const before = await page(1, counts);
    const trx = await db.transaction();
    try {
      await trx('registry_records').insert({ registry: 'fr', identifier: 'M_OPEN_WRITE_1', record: JSON.stringify(matchingRecord(1)) });
      expect((await page(2, counts)).total).toBe(before.total);
      expect(counts.hits).toBe(1);
      await trx.commit();
    } catch (err) {
      await trx.rollback();
      throw err;
    }
    const after = await page(2, counts);
    expect(counts.misses).toBe(2);
    expect(after.total).toBe(before.total + 1);
    expect(after.total).toBe((await page(2)).total);
  });

  test('every way of writing the records moves the version; a rolled-back write does not', async () => {
    const moves = async (write: (trx: Db) => Promise<unknown>) => {
      const from = (await version()).version;
      await write(db);
      return (await version()).version !== from;
    };
    expect(await moves((d) => createRecord(d, 'fr', matchingRecord(2)))).toBe(true);
    expect(await moves((d) => d.raw(`UPDATE registry_records SET record = jsonb_set(record, '{family_details,group_size}', '2') WHERE identifier = 'M_OPEN_WRITE_1'`))).toBe(true);
    expect(await moves((d) => d('registry_records').where({ identifier: 'M_OPEN_WRITE_1' }).delete())).toBe(true);
    expect(await moves((d) => d('registry_records').where({ identifier: 'no such record' }).delete())).toBe(false);
    expect(
      await moves((d) =>
        d.transaction(async (trx) => {
          await trx('registry_records').insert({ registry: 'fr', identifier: 'M_ROLLED_BACK', record: JSON.stringify(matchingRecord(3)) });
          throw new Error('roll back');
        }).catch(() => undefined),
      ),
    ).toBe(false);
    // TRUNCATE, seen inside its own transaction (rolled back: the other tests need the records).
    const truncated = db.transaction(async (trx) => {
      const from = await registryDataVersion(trx, 'fr');
      await trx.raw('TRUNCATE registry_records CASCADE');
      const to = await registryDataVersion(trx, 'fr');
      throw Object.assign(new Error('roll back'), { moved: to.version !== from.version });
    });
    await expect(truncated).rejects.toMatchObject({ moved: true });
  });

  test('a transaction writing many records adds one row of writes; writes to another registry leave this one', async () => {
    const before = await version();
    await upsertRecords(db, 'fr', generateRecords('fr', 1500, 79, 0));
    const after = await version();
    expect(BigInt(after.version) - BigInt(before.version)).toBe(1n);
    expect(after.uncompacted - before.uncompacted).toBe(1);

    const counts = new MatchCountCache();
    await page(1, counts);
    await upsertRecords(db, 'dr', generateRecords('dr', 5, 79, 0));
    await page(2, counts);
    expect(counts.hits).toBe(1);
  });

  test('compaction folds the committed writes into the number without changing the version, also when two run at once', async () => {
    const before = await version();
    expect(before.uncompacted).toBeGreaterThan(0);
    const open = await db.transaction();
    try {
      // A writer still open: its row is not visible to the compaction, and stays.
      await open('registry_records').insert({ registry: 'fr', identifier: 'M_OPEN_WRITE_2', record: JSON.stringify(matchingRecord(4)) });
      const folded = await Promise.all([compactRegistryWrites(db, 'fr'), compactRegistryWrites(db, 'fr')]);
      expect(folded[0] + folded[1]).toBe(before.uncompacted);
      expect(await version()).toEqual({ version: before.version, uncompacted: 0 });
      await open.commit();
    } catch (err) {
      await open.rollback();
      throw err;
    }
    expect(await version()).toEqual({ version: (BigInt(before.version) + 1n).toString(), uncompacted: 1 });
    // A bounded compaction folds that many and leaves the rest to the next.
    await createRecord(db, 'fr', matchingRecord(5));
    const two = await version();
    expect(two.uncompacted).toBe(2);
    expect(await compactRegistryWrites(db, 'fr', 1)).toBe(1);
    expect(await version()).toEqual({ version: two.version, uncompacted: 1 });
  });

  test('the scheduled fold folds every registry, batch after batch, and keeps each version', async () => {
    for (let i = 0; i < 7; i++) await db('registry_records').where({ identifier: 'M_OPEN_WRITE_2' }).update({ updated_at: db.fn.now() });
    for (let i = 0; i < 3; i++) await createRecord(db, 'dr', generateRecords('dr', 1, 79, 10_000 + i)[0]);
    const before = { fr: await version('fr'), dr: await version('dr') };
    expect(before.fr.uncompacted).toBeGreaterThanOrEqual(7);
    expect(before.dr.uncompacted).toBeGreaterThanOrEqual(3);
    // Batches of 2: several transactions each, the last one finding fewer than 2.
    expect(await foldRegistryWrites(db, 2)).toEqual({ dr: before.dr.uncompacted, fr: before.fr.uncompacted });
    expect({ fr: await version('fr'), dr: await version('dr') }).toEqual({
      fr: { version: before.fr.version, uncompacted: 0 },
      dr: { version: before.dr.version, uncompacted: 0 },
    });
    expect(await foldRegistryWrites(db)).toEqual({});
  });

  test('a search compacts once the rows of writes pass COMPACT_ABOVE', async () => {
    // 1,001 more committed writers (one statement each), then one search.
    for (let i = 0; i < 1001; i++) await db('registry_records').where({ identifier: 'M_OPEN_WRITE_2' }).update({ updated_at: db.fn.now() });
    const before = await version();
    expect(before.uncompacted).toBeGreaterThan(1000);
    await page(1, new MatchCountCache());
    expect(await version()).toEqual({ version: before.version, uncompacted: 0 });
  });

  test('a fold that fails leaves the search its page and the rows to the next search', async () => {
    for (let i = 0; i < 1001; i++) await db('registry_records').where({ identifier: 'M_OPEN_WRITE_2' }).update({ updated_at: db.fn.now() });
    const before = await version();
    // Any fold now breaks a (not validated) check on the number; reading the version still works.
    await db.raw('ALTER TABLE registry_data_versions ADD CONSTRAINT no_folds CHECK (committed < 0) NOT VALID');
    try {
      expect((await page(1, new MatchCountCache())).total).toBe((await page(1)).total);
      expect(await version()).toEqual(before);
    } finally {
      await db.raw('ALTER TABLE registry_data_versions DROP CONSTRAINT no_folds');
    }
    await page(1, new MatchCountCache());
    expect(await version()).toEqual({ version: before.version, uncompacted: 0 });
  });
});
