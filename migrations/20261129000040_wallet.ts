import type { Knex } from 'knex';

/**
 * Wallet events: Apple devices registered for pass updates (PassKit web service), the log of pass
 * status changes reported to organisations, and the nonces of Google Wallet callbacks already seen.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('device_registrations', (t) => {
    t.bigIncrements('id');
    t.uuid('pass_id').notNullable().references('passes.id').onDelete('CASCADE');
    t.text('device_library_identifier').notNullable();
    // APNs token of the device's Wallet: what an update notification would be sent to.
    t.text('push_token').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['device_library_identifier', 'pass_id']);
    t.index(['pass_id']);
  });

  await knex.schema.createTable('pass_wallet_events', (t) => {
    t.bigIncrements('id');
    t.uuid('pass_id').notNullable().references('passes.id').onDelete('CASCADE');
    t.text('organisation_id').notNullable().references('organisations.id');
    // Per pass, 1, 2, 3...: makes each event's callback delivery ID deterministic.
    t.integer('sequence').notNullable();
    t.text('device_os').notNullable();
    t.text('status').notNullable(); // Redeemed | Registered | Deregistered | Removed
    // The callback sent for it; null when the organisation has no callback URL.
    t.text('delivery_id').references('callback_deliveries.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['pass_id', 'sequence']);
  });

  await knex.schema.createTable('google_wallet_nonces', (t) => {
    t.text('nonce').primary();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['google_wallet_nonces', 'pass_wallet_events', 'device_registrations']) await knex.schema.dropTableIfExists(table);
}
