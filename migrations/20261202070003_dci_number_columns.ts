import type { Knex } from 'knex';
import { createExpressionIndexes, INDEXED } from './20261202070001_dci_number_indexes';

/**
 * The registries' range attributes as stored generated columns (nummultirange of every number the
 * path reaches, `dci_numbers` of migration 20261202070001) with a GiST index each, replacing that
 * migration's expression indexes: a bitmap heap scan rechecks its conditions on every candidate
 * row (the jsonb GIN index is lossy), and recomputing dci_numbers there cost more than the scan
 * saved; a stored column is read, not computed. NUMBER_COLUMNS in src/domain/dci/registries.ts
 * maps the same paths to these columns for the query translator.
 */
export const COLUMNS = [
  { column: 'num_fr_poverty_score', path: '$."family_details"."poverty_score"' },
  { column: 'num_fr_group_size', path: '$."family_details"."group_size"' },
  { column: 'num_fr_latitude', path: '$."farm_details"."place"."geo"."latitude"' },
  { column: 'num_fr_longitude', path: '$."farm_details"."place"."geo"."longitude"' },
  { column: 'num_dr_poverty_score', path: '$."poverty_score"' },
];
export async function up(knex: Knex): Promise<void> {
  for (const { name } of INDEXED) await knex.raw(`DROP INDEX IF EXISTS ${name}`);
  for (const { column, path } of COLUMNS) {
    await knex.raw(`ALTER TABLE registry_records ADD COLUMN ${column} nummultirange GENERATED ALWAYS AS (dci_numbers(record, '${path}'::jsonpath)) STORED`);
    await knex.raw(`CREATE INDEX registry_records_${column} ON registry_records USING gist (${column})`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const { column } of COLUMNS) await knex.raw(`ALTER TABLE registry_records DROP COLUMN IF EXISTS ${column}`);
  await createExpressionIndexes(knex);
}
