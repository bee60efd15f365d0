import type { Knex } from 'knex';
import { loadConfig } from '../../src/config';
import { createDb, Db } from '../../src/db/knex';
import type { Attribute } from '../../src/domain/dci/catalogue';
import { Cond, orderBySql, parseSearchCriteria, ParsedSearch, toSql } from '../../src/domain/dci/query';
import { REGISTRIES, RegistryKey } from '../../src/domain/dci/registries';
import { generateRecords } from '../../src/services/dci/generate';
import { createRecord, upsertRecords } from '../../src/services/dci/records';
import { oddDrRecords, oddFrRecords } from '../helpers/dciOddRecords';

const expr = (query: unknown) => ({ type: 'ns:org:QueryType:NoSql', value: { expression: { query } } });

/** The same condition read from the whole record (jsonb containment, jsonpath), not from the typed columns. */
function onRecord(cond: Cond): Cond {
  const plain = (attr: Attribute): Attribute => ({ ...attr, column: undefined, stringsColumn: undefined });
  switch (cond.kind) {
    case 'and':
    case 'or':
      return { kind: cond.kind, items: cond.items.map(onRecord) };
    case 'not':
      return { kind: 'not', item: onRecord(cond.item) };
    case 'cmp':
      return { ...cond, attr: plain(cond.attr) };
    default:
      return cond;
  }
}

/**
 * The typed columns (strings: migration 20261203040001, numbers: 20261203060001) against the whole
 * record: every string condition the translator puts on a strings column, and every number range
 * on a number column, gives exactly the matches containment or jsonpath give on the record, also for records whose shape strays from the catalogue (an
 * object where a list is expected, a list where a value is expected, nulls, missing keys, scalars
 * in lists); sort keys read from the columns give the record's order wherever the record follows
 * the catalogue.
 */
describe('DCI typed columns', () => {
  let db: Db;
  const PREFIX = 'PRJ';
  beforeAll(async () => {
    db = createDb(loadConfig().databaseUrl!);
    await db('registry_records').where('identifier', 'like', `${PREFIX}%`).delete();
    const generated = generateRecords('fr', 300, 913, 0).map((r, i) => {
      const rec = r as { famer_personal_details: { member_identifier: { identifier_value: string } } };
      rec.famer_personal_details.member_identifier.identifier_value = `${PREFIX}${i}`;
      return r;
    });
    await upsertRecords(db, 'fr', generated);
    for (const record of oddFrRecords(PREFIX)) await createRecord(db, 'fr', record);
    const drIdentifier = (n: number | string) => ({ personal_details: { identifier: `${PREFIX}dr${n}` } });
    const dr = generateRecords('dr', 200, 914, 0).map((r, i) => ({ ...r, personal_details: { ...(r as { personal_details: object }).personal_details, ...drIdentifier(i).personal_details } }));
    await upsertRecords(db, 'dr', dr);
    for (const record of oddDrRecords(PREFIX)) await createRecord(db, 'dr', record);
    await db.raw('ANALYZE registry_records');
  });
  afterAll(async () => {
    await db('registry_records').where('identifier', 'like', `${PREFIX}%`).delete();
    await db.destroy();
  });

  const ids = async (registry: RegistryKey, parsed: ParsedSearch, viaRecord: boolean): Promise<string[]> => {
    const where = toSql(viaRecord ? onRecord(parsed.where) : parsed.where);
    const sort = viaRecord ? parsed.sort.map((s) => ({ ...s, attr: { ...s.attr, column: undefined, stringsColumn: undefined } })) : parsed.sort;
    const order = orderBySql(sort);
    const { rows } = await db.raw(
      `SELECT identifier FROM registry_records WHERE registry = ? AND identifier LIKE ? AND ${where.sql} ORDER BY ${order.sql}`,
      [registry, `${PREFIX}%`, ...where.bindings, ...order.bindings] as Knex.RawBinding[],
    );
    return rows.map((r: { identifier: string }) => r.identifier);
  };

  it.each([
    ['farm_type $eq', { farm_type: { $eq: 'Cooperative farms' } }],
    ['farm_type $ne', { farm_type: { $ne: 'Cooperative farms' } }],
    ['place $in', { 'farm_info.location.name': { $in: ['Chiang Mai', 'Lampang'] } }],
    ['crop_type three lists deep', { 'farm_details.farming_activities.crop_production.crop_type': 'Rice' }],
    ['$or with $ne (the bench shape)', { $or: [{ 'farm_details.farming_activities.crop_production.crop_type': 'Rice' }, { 'machineries_details.type': 'Hand tools' }], 'family_details.group_type': { $ne: 'household' } }],
    ['group_type $eq', { 'family_details.group_type': 'family' }],
    ['ranges on a number in a list and on a single-valued one', { 'farm_details.place.geo.latitude': { $gt: 9.5 }, 'family_details.group_size': { $lte: 2 } }],
    ['$lt / $gte on a single-valued number', { 'family_details.poverty_score': { $lt: 5 }, 'family_details.group_size': { $gte: 3 } }],
    ['$or of both ends of a single-valued number', { $or: [{ 'family_details.poverty_score': { $lte: 4 } }, { 'family_details.poverty_score': { $gt: 96 } }] }],
    ['two bounds on one single-valued number', { 'family_details.poverty_score': { $gte: 40, $lte: 45 } }],
    ['an attribute with a strings column and one without', { farm_type: 'Family commercial farms', 'farm_details.farming_activities.crop_production.season': 'winter' }],
  ])('%s: the same matches as on the record', async (_name, query) => {
    const parsed = parseSearchCriteria(REGISTRIES.fr, { query_type: 'expression', query: expr(query) });
    const viaSearch = await ids('fr', parsed, false);
    expect(viaSearch).toEqual(await ids('fr', parsed, true));
    expect(viaSearch.length).toBeGreaterThan(0);
  });

  it('a predicate "not" over a number range counts records without that number as not in range', async () => {
    const parsed = parseSearchCriteria(REGISTRIES.fr, {
      query_type: 'predicate',
      query: [{ expression1: { attribute_name: 'family_details.group_type', operator: 'eq', attribute_value: 'family' }, condition: 'not', expression2: { attribute_name: 'family_details.poverty_score', operator: 'lt', attribute_value: 50 } }],
    });
    const viaColumns = await ids('fr', parsed, false);
    expect(viaColumns).toEqual(await ids('fr', parsed, true));
    expect(viaColumns).toEqual(expect.arrayContaining([`${PREFIX}odd9`])); // no poverty_score at all
  });

  it('strings columns match exactly what containment on the record matches, for every value of every such attribute', async () => {
    let compared = 0;
    for (const registry of ['fr', 'dr'] as RegistryKey[]) {
      for (const attr of REGISTRIES[registry].catalogue.values()) {
        if (!attr.stringsColumn) continue;
        const { rows } = await db.raw(`SELECT DISTINCT unnest(${attr.stringsColumn}) AS v FROM registry_records WHERE registry = ? AND identifier LIKE ?`, [registry, `${PREFIX}%`]);
        const values: string[] = [...rows.map((r: { v: string }) => r.v), 'no such value'];
        expect(values.length).toBeGreaterThan(1);
        for (const value of values) {
          for (const op of ['eq', 'ne'] as const) {
            const parsed: ParsedSearch = { where: { kind: 'cmp', attr, op, value }, sort: [] };
            expect({ attr: attr.path, op, value, ids: await ids(registry, parsed, false) }).toEqual({ attr: attr.path, op, value, ids: await ids(registry, parsed, true) });
            compared++;
          }
        }
        const parsed: ParsedSearch = { where: { kind: 'cmp', attr, op: 'in', value: values.slice(0, 2) }, sort: [] };
        expect(await ids(registry, parsed, false)).toEqual(await ids(registry, parsed, true));
      }
    }
    expect(compared).toBeGreaterThan(40);
  });

  it.each([
    ['poverty_score desc, group_type', [{ attribute_name: 'poverty_score', sort_order: 'desc' }, { attribute_name: 'group_type' }]],
    ['group_type desc, group_size', [{ attribute_name: 'group_type', sort_order: 'desc' }, { attribute_name: 'group_size' }]],
    ['group_size, poverty_score desc', [{ attribute_name: 'group_size' }, { attribute_name: 'poverty_score', sort_order: 'desc' }]],
  ])('sorts by the columns (%s) in the record\'s order wherever records follow the catalogue, missing values last', async (_name, sort) => {
    const parsed = parseSearchCriteria(REGISTRIES.fr, { query_type: 'expression', query: expr({ 'family_details.group_size': { $gte: 1 } }), sort });
    // Records holding null, a list or an object where one value belongs sort by the column's reading of them instead.
    const conformingOdd = new Set([`${PREFIX}odd6`, `${PREFIX}odd9`]);
    const conforming = (list: string[]) => list.filter((id) => !id.startsWith(`${PREFIX}odd`) || conformingOdd.has(id));
    const viaColumns = await ids('fr', parsed, false);
    expect(conforming(viaColumns)).toEqual(conforming(await ids('fr', parsed, true)));
    expect(conforming(viaColumns)).toEqual(expect.arrayContaining([`${PREFIX}odd6`, `${PREFIX}odd9`]));
    expect(viaColumns.length).toBeGreaterThan(100);
  });

  it('sorts a null value with the records lacking the attribute (the column holds no number for it)', async () => {
    const parsed = parseSearchCriteria(REGISTRIES.fr, { query_type: 'expression', query: expr({ 'family_details.group_size': { $gte: 1 } }), sort: [{ attribute_name: 'poverty_score', sort_order: 'desc' }] });
    const order = await ids('fr', parsed, false);
    expect(order.slice(-2).sort()).toEqual([`${PREFIX}odd3`, `${PREFIX}odd9`]);
  });
});
