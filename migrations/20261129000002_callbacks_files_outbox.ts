import type { Knex } from 'knex';

/** Outgoing callbacks with their attempt log, stored result files, and the notification outbox. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('callback_deliveries', (t) => {
    // The Standard Webhooks `webhook-id`: stable across every retry of this delivery.
    t.text('id').primary();
    t.text('organisation_id').references('organisations.id');
    t.text('kind').notNullable();
    t.text('url').notNullable();
    // 'standard-webhooks': signed with the organisation's secret; 'none': the body signs itself (DCI).
    t.text('signing').notNullable();
    t.jsonb('payload').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('delivered_at', { useTz: true });
    t.index(['organisation_id', 'created_at']);
  });

  await knex.schema.createTable('callback_attempts', (t) => {
    t.bigIncrements('id');
    t.text('delivery_id').notNullable().references('callback_deliveries.id').onDelete('CASCADE');
    t.integer('attempt').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.integer('duration_ms').notNullable();
    t.integer('status_code');
    t.text('error');
    t.index(['delivery_id']);
  });

  await knex.schema.createTable('stored_files', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').notNullable().references('organisations.id');
    t.text('kind').notNullable();
    t.text('filename').notNullable();
    t.text('content_type').notNullable();
    t.binary('content').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['organisation_id']);
  });

  await knex.schema.createTable('notification_outbox', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').references('organisations.id');
    t.text('channel').notNullable(); // Email | SMS
    t.text('recipient').notNullable();
    t.text('subject');
    t.text('body').notNullable();
    // What the message is about (a request ID, a pass serial), so it can be found and erased.
    t.text('reference');
    t.text('status').notNullable().defaultTo('pending');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.index(['reference']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['notification_outbox', 'stored_files', 'callback_attempts', 'callback_deliveries']) {
    await knex.schema.dropTableIfExists(table);
  }
}
