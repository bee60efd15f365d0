import type { Knex } from 'knex';

/**
 * DCI number columns, again (migration 20261202070003 made them):
 * - Each now holds every number a range filter's jsonpath compares: the path with `[*]`, so a list
 *   at the leaf (`"poverty_score": [3, 97]`, which validation lets through) gives its numbers, as
 *   lax jsonpath filters unwrap it; `dci_numbers(record, path)` gave the list itself, not a number,
 *   and such records matched no range.
 * - Range filters on single-valued attributes (one number a record, not inside a list) are
 *   `lower(col) < $1` / `upper(col) > $1` (numberRange in src/domain/dci/query.ts), served by a
 *   btree on each expression; the columns inside lists (latitude, longitude) keep a GiST index for
 *   `col && numrange(...)`. A test (dciQueryPlans) checks each column has the indexes its filters need.
 * The columns are dropped and added back in one ALTER TABLE: one rewrite of the table.
 */
const COLUMNS = [
  { column: 'num_fr_poverty_score', path: '$."family_details"."poverty_score"', singleValued: true },
  { column: 'num_fr_group_size', path: '$."family_details"."group_size"', singleValued: true },
  { column: 'num_fr_latitude', path: '$."farm_details"."place"."geo"."latitude"', singleValued: false },
  { column: 'num_fr_longitude', path: '$."farm_details"."place"."geo"."longitude"', singleValued: false },
  { column: 'num_dr_poverty_score', path: '$."poverty_score"', singleValued: true },
];

async function rebuild(knex: Knex, leafLists: boolean, btrees: boolean): Promise<void> {
  const changes = COLUMNS.flatMap(({ column, path }) => [
    `DROP COLUMN ${column}`,
    `ADD COLUMN ${column} nummultirange GENERATED ALWAYS AS (dci_numbers(record, '${path}${leafLists ? '[*]' : ''}'::jsonpath)) STORED`,
  ]);
  await knex.raw(`ALTER TABLE registry_records ${changes.join(', ')}`);
  for (const { column, singleValued } of COLUMNS) {
    if (btrees && singleValued) {
      for (const bound of ['lower', 'upper']) await knex.raw(`CREATE INDEX registry_records_${column}_${bound} ON registry_records (${bound}(${column}))`);
    } else {
      await knex.raw(`CREATE INDEX registry_records_${column} ON registry_records USING gist (${column})`);
    }
  }
}

export const up = (knex: Knex) => rebuild(knex, true, true);
export const down = (knex: Knex) => rebuild(knex, false, false);
