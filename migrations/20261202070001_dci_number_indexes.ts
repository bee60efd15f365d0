import type { Knex } from 'knex';

/**
 * DCI range filters ($gt/$gte/$lt/$lte on numbers) served by indexes. `dci_numbers(record, path)`
 * is every number the jsonpath reaches (lax: through arrays, so `farm_details[].place.geo.latitude`
 * works like a single value) as a multirange of points; a range condition becomes
 * `dci_numbers(...) && numrange(...)`, which a GiST index on that expression answers. Records
 * without the attribute give the empty multirange, so NOT of a range condition stays true for
 * them, as jsonb_path_exists had it.
 *
 * One index per numeric attribute the registries' range queries commonly use; the query translator
 * (toSql in src/domain/dci/query.ts) writes every numeric range condition with the same expression,
 * so the planner matches these indexes, and other numeric attributes still work (unindexed).
 */
export const INDEXED = [
  { name: 'registry_records_fr_poverty_score', path: '$."family_details"."poverty_score"' },
  { name: 'registry_records_fr_group_size', path: '$."family_details"."group_size"' },
  { name: 'registry_records_fr_latitude', path: '$."farm_details"."place"."geo"."latitude"' },
  { name: 'registry_records_fr_longitude', path: '$."farm_details"."place"."geo"."longitude"' },
  { name: 'registry_records_dr_poverty_score', path: '$."poverty_score"' },
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION dci_numbers(doc jsonb, path jsonpath) RETURNS nummultirange
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT coalesce(range_agg(numrange(v::numeric, v::numeric, '[]')), '{}'::nummultirange)
        FROM jsonb_path_query(doc, path) AS v WHERE jsonb_typeof(v) = 'number'
    $$`);
  await createExpressionIndexes(knex);
}

/** Also what 20261202070003's down restores. */
export async function createExpressionIndexes(knex: Knex): Promise<void> {
  for (const { name, path } of INDEXED) {
    await knex.raw(`CREATE INDEX ${name} ON registry_records USING gist (dci_numbers(record, '${path}'::jsonpath))`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const { name } of INDEXED) await knex.raw(`DROP INDEX IF EXISTS ${name}`);
  await knex.raw('DROP FUNCTION IF EXISTS dci_numbers(jsonb, jsonpath)');
}
