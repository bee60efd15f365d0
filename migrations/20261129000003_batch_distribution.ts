import type { Knex } from 'knex';

/**
 * Batch distribution: idempotency key and results on the request, and the staging table that
 * holds every requested row (rows never travel through Temporal).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('distribution_requests', (t) => {
    // Client's Idempotency-Key: the same key never starts a second job.
    t.text('request_key');
    t.text('source').notNullable().defaultTo('api');
    t.integer('processed_count').notNullable().defaultTo(0);
    t.uuid('success_file_id').references('stored_files.id').onDelete('SET NULL');
    t.uuid('failure_file_id').references('stored_files.id').onDelete('SET NULL');
    t.timestamp('completed_at', { useTz: true });
    t.unique(['organisation_id', 'request_key']);
  });

  await knex.schema.createTable('distribution_rows', (t) => {
    t.uuid('request_id').notNullable().references('distribution_requests.id').onDelete('CASCADE');
    // 1-based: the CSV data row number (header excluded), or the passDetails index + 1.
    t.integer('row_number').notNullable();
    t.jsonb('raw').notNullable();
    t.text('status').notNullable().defaultTo('pending'); // pending | success | failure
    t.text('error');
    t.text('serial_number');
    t.text('pass_api_key');
    t.primary(['request_id', 'row_number']);
  });
  // Chunks take the next pending rows of a request in order.
  await knex.raw(`CREATE INDEX distribution_rows_pending ON distribution_rows (request_id, row_number) WHERE status = 'pending'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('distribution_rows');
  await knex.schema.alterTable('distribution_requests', (t) => {
    t.dropUnique(['organisation_id', 'request_key']);
    t.dropColumns('request_key', 'source', 'processed_count', 'success_file_id', 'failure_file_id', 'completed_at');
  });
}
