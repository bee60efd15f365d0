import type { Knex } from 'knex';

/** Organisations, pass designs with their serial sequences, passes, distribution requests, audit events. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pgcrypto');

  await knex.schema.createTable('organisations', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.text('callback_url');
    // Standard Webhooks secret, "whsec_" + base64; shown by the admin CLI.
    t.text('webhook_secret').notNullable();
    t.integer('price_per_pass').notNullable().defaultTo(10);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('serial_sequences', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').notNullable().references('organisations.id');
    // Prefixes are platform-wide so that a serial number alone identifies a pass (wallet callbacks carry only it).
    t.text('prefix').notNullable().unique();
    t.integer('card_number_length').notNullable();
    t.bigInteger('initial_card_number').notNullable();
    t.bigInteger('latest_card_number').notNullable();
    t.bigInteger('maximum_card_number').notNullable();
    t.jsonb('reserved_ranges').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('creator').notNullable();
    t.timestamp('last_modified', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('modifier').notNullable();
    t.check('?? >= ??', ['maximum_card_number', 'latest_card_number'], 'serial_sequence_not_exhausted');
  });

  await knex.schema.createTable('pass_designs', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').notNullable().references('organisations.id');
    t.text('title').notNullable();
    t.uuid('serial_sequence_id').notNullable().references('serial_sequences.id');
    t.specificType('dynamic_field_keys', 'text[]').notNullable().defaultTo('{}');
    // Presentation fields of the seed's PassDesign type (colours, images, default fields, back fields...).
    t.jsonb('presentation').notNullable();
    t.text('pass_type').notNullable().defaultTo('LongTerm');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('creator').notNullable();
    t.timestamp('last_modified', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('modifier').notNullable();
    t.unique(['organisation_id', 'title']);
    t.index(['organisation_id', 'last_modified', 'id']);
  });

  await knex.schema.createTable('distribution_requests', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').notNullable().references('organisations.id');
    t.uuid('pass_design_id').notNullable().references('pass_designs.id');
    t.text('pass_design_title').notNullable();
    t.text('pass_type').notNullable();
    t.boolean('is_batch_request').notNullable();
    t.integer('batch_count').notNullable();
    t.text('job_issuer').notNullable();
    t.text('status').notNullable();
    t.integer('success_count').notNullable().defaultTo(0);
    t.integer('failure_count').notNullable().defaultTo(0);
    t.integer('price_per_pass').notNullable();
    t.integer('projected_cost').notNullable();
    t.timestamp('start_time', { useTz: true });
    t.timestamp('end_time', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['organisation_id', 'created_at', 'id']);
  });

  await knex.schema.createTable('passes', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').notNullable().references('organisations.id');
    t.uuid('pass_design_id').notNullable().references('pass_designs.id');
    t.uuid('distribution_request_id').references('distribution_requests.id');
    t.text('serial_number').notNullable().unique();
    t.text('prefix').notNullable();
    t.text('card_number').notNullable();
    t.text('external_reference_id').notNullable().defaultTo('');
    t.text('payload');
    t.jsonb('dynamic_field_data').notNullable().defaultTo('{}');
    t.text('delivery_method').notNullable().defaultTo('None');
    t.text('delivery_address').notNullable().defaultTo('');
    t.text('delivery_salutation').notNullable().defaultTo('');
    t.text('delivery_name').notNullable().defaultTo('');
    t.text('delivery_template').notNullable().defaultTo('');
    t.specificType('beacons', 'text[]').notNullable().defaultTo('{}');
    t.specificType('locations', 'text[]').notNullable().defaultTo('{}');
    t.timestamp('link_start_time', { useTz: true });
    t.timestamp('link_end_time', { useTz: true });
    // expired_timestamp: when the pass expires (scheduled or past); is_expired: it has expired.
    t.timestamp('expired_timestamp', { useTz: true });
    t.boolean('is_expired').notNullable().defaultTo(false);
    t.text('device_os').notNullable().defaultTo('');
    t.boolean('is_redeemed').notNullable().defaultTo(false);
    t.timestamp('redeemed_timestamp', { useTz: true });
    t.boolean('registered').notNullable().defaultTo(false);
    t.timestamp('registered_timestamp', { useTz: true });
    t.boolean('is_removed').notNullable().defaultTo(false);
    t.timestamp('removed_timestamp', { useTz: true });
    // Authenticates wallet web-service calls for this pass (Apple's ApplePass <token>).
    t.text('authentication_token').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('creator').notNullable();
    t.timestamp('last_modified', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('modifier').notNullable();
    t.index(['organisation_id', 'external_reference_id']);
    t.index(['pass_design_id']);
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.text('organisation_id').notNullable().references('organisations.id');
    t.text('actor').notNullable();
    t.text('category').notNullable();
    t.text('action').notNullable();
    t.text('subject');
    // IDs and counts only: audit entries outlive GDPR erasure, so they never hold personal details.
    t.jsonb('details').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['organisation_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_events', 'passes', 'distribution_requests', 'pass_designs', 'serial_sequences', 'organisations']) {
    await knex.schema.dropTableIfExists(table);
  }
}
