import { orderBySql, parsePagination, parseQuery, parseSearchCriteria, parseSort, QueryError, toSql } from '../../src/domain/dci/query';
import { REGISTRIES } from '../../src/domain/dci/registries';

const dr = REGISTRIES.dr;
const fr = REGISTRIES.fr;
const expr = (query: unknown) => ({ type: 'ns:org:QueryType:NoSql', value: { expression: { query } } });
const sql = (registry: typeof dr, type: string, query: unknown) => toSql(parseQuery(registry, type, query));

function rejects(fn: () => unknown, code: string, message: RegExp) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).reasonCode).toBe(code);
    expect((err as QueryError).message).toMatch(message);
    return;
  }
  throw new Error('expected a QueryError');
}

describe('DCI query translation', () => {
  it('translates the DR seed example ($and of $eq) into array containment on the attributes\' strings columns, values bound', () => {
    const q = sql(dr, 'expression', expr({ $and: [{ disability_status: { $eq: 'Approved' } }, { location: { $eq: 'central_region' } }] }));
    expect(q.sql).toBe('((str_dr_disability_status @> ARRAY[?]::text[]) AND (str_dr_location @> ARRAY[?]::text[]))');
    expect(q.bindings).toEqual(['Approved', 'central_region']);
  });

  it('reads equality on attributes without a strings column by jsonb containment on the record (its GIN index)', () => {
    const q = sql(dr, 'expression', expr({ housing_type: 'Social housing', 'personal_details.gender': 'Female', poverty_score: 12 }));
    expect(q.sql).toBe('((record @> ?::jsonb) AND (str_dr_gender @> ARRAY[?]::text[]) AND (record @> ?::jsonb))');
    expect(q.bindings).toEqual(['{"housing_type":"Social housing"}', 'Female', '{"poverty_score":12}']);
  });

  it('resolves the FR seed example paths (farm_info.location -> farm_details[].place) through arrays', () => {
    const q = sql(fr, 'expression', expr({ $and: [{ 'farm_info.location.geo.latitude': { $eq: 9.56 } }, { 'farm_info.location.geo.longitude': { $gte: 100 } }] }));
    expect(q.bindings[0]).toBe('{"farm_details":[{"place":{"geo":{"latitude":9.56}}}]}');
    // An indexed number attribute: its stored multirange column (every farm's longitude) overlaps the range.
    expect(q.sql).toContain(`(num_fr_longitude && numrange(?::numeric, NULL, '[)'))`);
    expect(q.bindings[1]).toBe(100);
  });

  it('supports every operator: $or, $ne, $gt, $lt, $lte, $in (arrays of scalars too), implicit $eq and implicit $and', () => {
    const q = sql(fr, 'expression', expr({
      $or: [{ 'family_details.group_size': { $gt: 3, $lt: 6 } }, { 'family_details.poverty_score': { $lte: 10 } }],
      farm_type: { $in: ['Cooperative farms', 'Large commercial farms'] },
      'farm_details.farming_activities.crop_production.end_use': 'Seed',
      'family_details.group_type': { $ne: 'household' },
    }));
    // Single-valued numbers: the largest above, the smallest below the value (btrees on both bounds).
    const ranges = `((upper(num_fr_group_size) > ?::numeric) AND (lower(num_fr_group_size) < ?::numeric)) OR (lower(num_fr_poverty_score) <= ?::numeric)`;
    expect(q.sql).toBe(`((${ranges}) AND (str_fr_farm_type && ARRAY[?, ?]::text[]) AND (record @> ?::jsonb) AND (NOT str_fr_group_type @> ARRAY[?]::text[]))`);
    expect(q.bindings.slice(3)).toEqual([
      'Cooperative farms',
      'Large commercial farms',
      '{"farm_details":[{"farming_activities":[{"crop_production":[{"end_use":["Seed"]}]}]}]}',
      'household',
    ]);
    // $in on an attribute without a strings column: one containment per value.
    expect(sql(fr, 'expression', expr({ 'farm_details.farming_activities.crop_production.end_use': { $in: ['Seed', 'Food'] } })).sql).toBe('(record @> ?::jsonb OR record @> ?::jsonb)');
  });

  it('never puts values into the SQL text', () => {
    const evil = "x'); DROP TABLE registry_records; --";
    const q = sql(dr, 'expression', expr({ location: { $eq: evil } }));
    expect(q.sql).not.toContain('DROP');
    expect(q.bindings).toEqual([evil]);
    const onRecord = sql(dr, 'expression', expr({ housing_type: { $eq: evil } }));
    expect(onRecord.sql).not.toContain('DROP');
    expect(JSON.parse(onRecord.bindings[0] as string).housing_type).toBe(evil);
  });

  it('translates idtype-value: DR value-only, FR typed identifier pairs, each also as the identifier column (its btree)', () => {
    const drId = sql(dr, 'idtype-value', { type: 'UIN', value: 123456 });
    expect(drId.sql).toBe('(identifier = ? AND record @> ?::jsonb)');
    expect(drId.bindings).toEqual(['123456', '{"personal_details":{"identifier":"123456"}}']);
    expect(sql(fr, 'idtype-value', { type: 'NationalID', value: 'M1' }).bindings).toEqual([
      'M1',
      '{"famer_personal_details":{"member_identifier":{"identifier_type":"NationalID","identifier_value":"M1"}}}',
    ]);
    expect(toSql(parseQuery(fr, 'idtype-value', { type: 'NationalID', value: 'M1' }), 'r').sql).toBe('(r.identifier = ? AND r.record @> ?::jsonb)');
    rejects(() => parseQuery(dr, 'idtype-value', { type: 'PASSPORT', value: '1' }), 'rjct.search_criteria.invalid', /unknown identifier type/);
    rejects(() => parseQuery(dr, 'idtype-value', expr({})), 'rjct.search_criteria.invalid', /idtype-value query must be/);
  });

  it('translates predicates (seq_num order, and/or/not between expression1 and expression2, items ANDed)', () => {
    const q = sql(dr, 'predicate', [
      { seq_num: 2, expression1: { attribute_name: 'poverty_score', operator: 'ge', attribute_value: 50 }, condition: 'not', expression2: { attribute_name: 'disability_level', operator: 'in', attribute_value: ['Mild'] } },
      { seq_num: 1, expression1: { attribute_name: 'disability_status', operator: 'eq', attribute_value: 'Approved' } },
    ]);
    expect(q.sql).toBe(`((str_dr_disability_status @> ARRAY[?]::text[]) AND ((upper(num_dr_poverty_score) >= ?::numeric) AND NOT coalesce((str_dr_disability_level && ARRAY[?]::text[]), false)))`);
  });

  it('keeps ranges on text attributes (dates) and unindexed numbers as bound jsonpath filters; qualifies columns like the record', () => {
    const q = sql(dr, 'expression', expr({ registration_date: { $gt: '2023-01-01' } }));
    expect(q.sql).toBe('jsonb_path_exists(record, ?::jsonpath, ?::jsonb)');
    expect(q.bindings).toEqual(['$."registration_date" ? (@ > $v)', '{"v":"2023-01-01"}']);
    const count = sql(fr, 'expression', expr({ 'machineries_details.count': { $gte: 2 } }));
    expect(count.bindings).toEqual(['$."machineries_details"."count" ? (@ >= $v)', '{"v":2}']);
    const aliased = toSql(parseQuery(fr, 'expression', expr({ poverty_score: { $lte: 3 }, 'machineries_details.count': { $gte: 2 }, farm_type: 'Cooperative farms' })), 'r');
    expect(aliased.sql).toBe(`((lower(r.num_fr_poverty_score) <= ?::numeric) AND jsonb_path_exists(r.record, ?::jsonpath, ?::jsonb) AND (r.str_fr_farm_type @> ARRAY[?]::text[]))`);
  });

  it.each([
    [{ $regex: 'x' }, /unknown operator \$regex/],
    [{ location: { $like: 'x' } }, /unknown operator \$like/],
    [{ shoe_size: { $eq: 42 } }, /unknown attribute "shoe_size"/],
    [{ poverty_score: { $gt: 'high' } }, /holds number values/],
    [{ location: { $in: [] } }, /array of 1-1000/],
    [{ $and: [] }, /non-empty array/],
    [{ location: {} }, /needs an operator/],
    [{ 'disability_details.impairment_type': { $eq: { a: 1 } } }, /holds string values/],
  ])('rejects the expression %j with rjct.filter.invalid', (query, message) => {
    rejects(() => parseQuery(dr, 'expression', expr(query)), 'rjct.filter.invalid', message);
  });

  it('rejects malformed queries and unsupported query types with rjct.search_criteria.invalid', () => {
    rejects(() => parseQuery(dr, 'expression', { type: 'x' }), 'rjct.search_criteria.invalid', /expression query must be/);
    rejects(() => parseQuery(dr, 'graphql', { value: { expression: '{ person }' } }), 'rjct.search_criteria.invalid', /not supported/);
    rejects(() => parseQuery(dr, 'sql', {}), 'rjct.search_criteria.invalid', /query_type must be one of/);
    rejects(() => parseSearchCriteria(dr, { reg_type: 'ns:org:RegistryType:FR', query_type: 'expression', query: expr({ location: 'x' }) }), 'rjct.search_criteria.invalid', /Disability Registry/);
    rejects(() => parseQuery(dr, 'predicate', [{ expression1: { attribute_name: 'location', operator: 'like', attribute_value: 'x' } }]), 'rjct.filter.invalid', /unknown operator "like"/);
  });

  it('sorts on single-valued attributes only, with the record ID as tie-breaker', () => {
    const sort = parseSort(fr, [{ attribute_name: 'poverty_score', sort_order: 'desc' }]);
    expect(orderBySql(sort)).toEqual({ sql: 'lower(num_fr_poverty_score) DESC NULLS LAST, id ASC', bindings: [] });
    const byString = parseSort(fr, [{ attribute_name: 'group_type' }]);
    expect(orderBySql(byString, 'r')).toEqual({ sql: 'r.str_fr_group_type[1] ASC NULLS LAST, r.id ASC', bindings: [] });
    const noColumn = parseSort(fr, [{ attribute_name: 'registration_date' }]);
    expect(orderBySql(noColumn, 'r')).toEqual({ sql: 'r.record #> ?::text[] ASC NULLS LAST, r.id ASC', bindings: [['registration_date']] });
    rejects(() => parseSort(fr, [{ attribute_name: 'farm_type' }]), 'rjct.sort.invalid', /inside a list/);
    rejects(() => parseSort(fr, [{ attribute_name: 'nope' }]), 'rjct.sort.invalid', /unknown attribute/);
    rejects(() => parseSort(fr, [{ attribute_name: 'poverty_score', sort_order: 'up' }]), 'rjct.sort.invalid', /asc or desc/);
  });

  it('checks pagination (1-based pages, page_size 1-2000)', () => {
    expect(parsePagination({ page_size: 1000 })).toEqual({ pageSize: 1000, pageNumber: undefined });
    expect(parsePagination({ page_size: 10, page_number: 3 })).toEqual({ pageSize: 10, pageNumber: 3 });
    rejects(() => parsePagination({ page_size: 0 }), 'rjct.pagination.invalid', /page_size/);
    rejects(() => parsePagination({ page_size: 2001 }), 'rjct.pagination.invalid', /page_size/);
    rejects(() => parsePagination({ page_size: 10, page_number: 0 }), 'rjct.pagination.invalid', /page_number/);
    rejects(() => parsePagination({ page_size: 1.5 }), 'rjct.pagination.invalid', /page_size/);
  });
});
