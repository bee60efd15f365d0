import type { Knex } from 'knex';

/**
 * One timer per expiry: the expiry scheduler leaves alone the passes a scheduled invalidation's
 * own workflow will expire; this index lets it find those few passes without reading every row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX invalidation_rows_scheduled_pass ON invalidation_rows (pass_id) WHERE status = 'scheduled'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS invalidation_rows_scheduled_pass');
}
