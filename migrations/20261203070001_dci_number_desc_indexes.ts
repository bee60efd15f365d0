import type { Knex } from 'knex';

/**
 * A btree per single-valued number column in descending sort order, `(lower(col) DESC NULLS LAST,
 * id)`: the order of a search sorted by that number descending (orderOverKeys: NULLS LAST, then the
 * ID). The bound btrees of migration 20261203060001 ascend with NULLS LAST, so walking one backward
 * gives NULLS FIRST, and such a page listed and sorted every match (`$or` of poverty_score ranges
 * sorted by group_size desc over 1,000,000 records: p50 345 ms); with this index its first page is
 * a short walk beside the count (175 ms). `id` is in the key so that ties (about 100,000 records
 * share a group size) come out in order, with no sort of a whole tie group. Columns inside lists
 * cannot be sorted on (parseSort), so they get none.
 */
const SORTABLE = ['num_fr_poverty_score', 'num_fr_group_size', 'num_dr_poverty_score'];

export async function up(knex: Knex): Promise<void> {
  for (const column of SORTABLE) await knex.raw(`CREATE INDEX registry_records_${column}_desc ON registry_records (lower(${column}) DESC NULLS LAST, id)`);
}

export async function down(knex: Knex): Promise<void> {
  for (const column of SORTABLE) await knex.raw(`DROP INDEX IF EXISTS registry_records_${column}_desc`);
}
