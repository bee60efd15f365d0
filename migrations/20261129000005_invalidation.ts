import type { Knex } from 'knex';

/** Invalidation requests and their staged rows; an index that lets the database say which passes are due. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invalidation_requests', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').notNullable().references('organisations.id');
    t.text('request_key');
    t.text('source').notNullable().defaultTo('api');
    t.boolean('is_batch_request').notNullable();
    t.integer('batch_count').notNullable().defaultTo(0);
    t.text('job_issuer').notNullable();
    // Pending -> In-Progress -> Scheduled (accepted, expiry in the future) -> Complete
    t.text('status').notNullable();
    t.timestamp('expiry_time', { useTz: true }).notNullable();
    t.integer('processed_count').notNullable().defaultTo(0);
    t.integer('success_count').notNullable().defaultTo(0);
    t.integer('failure_count').notNullable().defaultTo(0);
    t.uuid('success_file_id').references('stored_files.id').onDelete('SET NULL');
    t.uuid('failure_file_id').references('stored_files.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
    t.unique(['organisation_id', 'request_key']);
    t.index(['organisation_id', 'created_at', 'id']);
  });

  await knex.schema.createTable('invalidation_rows', (t) => {
    t.uuid('request_id').notNullable().references('invalidation_requests.id').onDelete('CASCADE');
    t.integer('row_number').notNullable();
    t.jsonb('raw').notNullable();
    // pending | scheduled (expires at the request's expiry_time) | success | failure
    t.text('status').notNullable().defaultTo('pending');
    t.text('error');
    t.text('serial_number');
    t.uuid('pass_id');
    t.primary(['request_id', 'row_number']);
  });
  await knex.raw(`CREATE INDEX invalidation_rows_open ON invalidation_rows (request_id, row_number) WHERE status IN ('pending', 'scheduled')`);
  // Passes due to expire: the expiry scheduler asks for the earliest, then for all at or before now.
  await knex.raw(`CREATE INDEX passes_pending_expiry ON passes (expired_timestamp) WHERE NOT is_expired AND expired_timestamp IS NOT NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS passes_pending_expiry');
  await knex.schema.dropTableIfExists('invalidation_rows');
  await knex.schema.dropTableIfExists('invalidation_requests');
}
