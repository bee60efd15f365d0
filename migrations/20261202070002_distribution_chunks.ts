import type { Knex } from 'knex';

/**
 * Parallel chunks of a batch distribution: each chunk (a fixed range of staged rows) reserves its
 * card numbers in one statement before it writes its passes, and the reservation is kept, so a
 * chunk re-run after a crash uses the same numbers (no duplicate, no gap) and validates its rows
 * as of the same moment.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('distribution_chunks', (t) => {
    t.uuid('request_id').notNullable().references('distribution_requests.id').onDelete('CASCADE');
    t.integer('first_row').notNullable();
    t.integer('valid_count').notNullable();
    // [[from, to], ...]: the card numbers reserved, in the order the chunk's valid rows take them.
    t.jsonb('card_runs').notNullable();
    t.timestamp('validated_at', { useTz: true }).notNullable();
    t.primary(['request_id', 'first_row']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('distribution_chunks');
}
