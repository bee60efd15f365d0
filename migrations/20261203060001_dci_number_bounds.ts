import type { Knex } from 'knex';
import { COLUMNS } from './20261202070003_dci_number_columns';

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
const IN_LISTS = new Set(['num_fr_latitude', 'num_fr_longitude']);

/** `bounds`: this migration's columns (leaf lists unwrapped, btrees on single-valued bounds); otherwise 20261202070003's. */
async function rebuild(knex: Knex, bounds: boolean): Promise<void> {
  const changes = COLUMNS.flatMap(({ column, path }) => [
    `DROP COLUMN ${column}`,
    `ADD COLUMN ${column} nummultirange GENERATED ALWAYS AS (dci_numbers(record, '${path}${bounds ? '[*]' : ''}'::jsonpath)) STORED`,
  ]);
  await knex.raw(`ALTER TABLE registry_records ${changes.join(', ')}`);
  for (const { column } of COLUMNS) {
    if (bounds && !IN_LISTS.has(column)) {
      for (const bound of ['lower', 'upper']) await knex.raw(`CREATE INDEX registry_records_${column}_${bound} ON registry_records (${bound}(${column}))`);
    } else {
      await knex.raw(`CREATE INDEX registry_records_${column} ON registry_records USING gist (${column})`);
    }
  }
}

export const up = (knex: Knex) => rebuild(knex, true);
export const down = (knex: Knex) => rebuild(knex, false);
