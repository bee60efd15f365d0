import type { Knex } from 'knex';

/**
 * Parallel invalidation chunks judge a repeated serial against the whole request ("the first row
 * holding it wins", whichever chunk runs first): this index answers "the first row of request R
 * with serial S" with one probe per row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX invalidation_rows_serial ON invalidation_rows (request_id, (raw->>'serialNumber'), row_number)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS invalidation_rows_serial');
}
