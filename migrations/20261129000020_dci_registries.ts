import type { Knex } from 'knex';

/**
 * DCI registries (Disability and Farmer): records with their life events, registered senders and
 * their public keys, received messages (transactions), search snapshots and subscriptions.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('registry_records', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('registry').notNullable(); // 'dr' | 'fr'
    // The record's primary identifier value (DR personal_details.identifier, FR member identifier).
    t.text('identifier').notNullable();
    t.jsonb('record').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['registry', 'identifier']);
  });
  // Records (a few KB) stay inline and uncompressed: searches read them row by row, and pglz
  // decompression on every access made range queries about 3x slower.
  await knex.raw('ALTER TABLE registry_records SET (toast_tuple_target = 8160)');
  // `$eq`/`$in`/idtype-value queries are translated to jsonb containment, which this index serves.
  await knex.raw('CREATE INDEX registry_records_record_gin ON registry_records USING gin (record jsonb_path_ops)');

  await knex.schema.createTable('registry_life_events', (t) => {
    // seq orders events; a subscription remembers the last seq it has processed.
    t.bigIncrements('seq');
    t.text('registry').notNullable();
    t.uuid('record_id').notNullable().references('registry_records.id').onDelete('CASCADE');
    t.text('event_type').notNullable(); // REGISTER | UPDATE
    t.timestamp('changed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['registry', 'seq']);
  });

  await knex.schema.createTable('dci_senders', (t) => {
    t.text('id').primary(); // the DCI sender_id, e.g. spmis.example.org
    t.text('name').notNullable();
    // Where callbacks go when a request carries no header.sender_uri.
    t.text('default_callback_uri');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('dci_sender_keys', (t) => {
    t.text('sender_id').notNullable().references('dci_senders.id').onDelete('CASCADE');
    t.text('key_id').notNullable(); // the {unique_key_id} of kidId="{sender_id}|{unique_key_id}|{algorithm}"
    t.text('use').notNullable(); // 'sig' (Ed25519) | 'enc' (X25519 / RSA, for encrypting replies)
    t.jsonb('public_jwk').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
    t.primary(['sender_id', 'key_id']);
  });

  await knex.schema.createTable('dci_transactions', (t) => {
    t.text('correlation_id').primary(); // Steward's ID for a received message (returned in the ACK)
    t.text('registry').notNullable();
    t.text('sender_id').notNullable().references('dci_senders.id');
    t.text('message_id').notNullable();
    t.text('action').notNullable(); // search | subscribe | unsubscribe | txn-status
    t.boolean('sync').notNullable().defaultTo(false);
    t.text('transaction_id').notNullable();
    // Digest of the signed {header, message}: a resent message is recognised, a reused message_id refused.
    t.text('digest').notNullable();
    t.text('sender_uri');
    t.boolean('encrypted').notNullable().defaultTo(false);
    t.jsonb('request').notNullable(); // the (decrypted) message
    t.jsonb('response'); // status summary of what was answered (no records), for txn/status
    t.text('status').notNullable().defaultTo('rcvd'); // rcvd | pdng | succ | rjct
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
    t.unique(['registry', 'sender_id', 'message_id']);
    t.index(['registry', 'sender_id', 'transaction_id']);
  });

  // Matches of an async search, fixed when the search runs, so its pages never shift.
  await knex.schema.createTable('dci_search_hits', (t) => {
    t.text('correlation_id').notNullable().references('dci_transactions.correlation_id').onDelete('CASCADE');
    t.integer('item_index').notNullable();
    t.integer('position').notNullable();
    t.uuid('record_id').notNullable();
    t.primary(['correlation_id', 'item_index', 'position']);
  });

  await knex.schema.createTable('dci_subscriptions', (t) => {
    t.text('code').primary();
    t.text('registry').notNullable();
    t.text('sender_id').notNullable().references('dci_senders.id');
    t.text('correlation_id').notNullable().references('dci_transactions.correlation_id');
    t.integer('item_index').notNullable();
    t.text('reference_id').notNullable();
    t.jsonb('criteria').notNullable(); // subscribe_criteria as received
    t.text('criteria_hash').notNullable();
    t.text('frequency').notNullable();
    t.timestamp('start_time', { useTz: true }).notNullable();
    t.timestamp('end_time', { useTz: true }).notNullable();
    t.text('sender_uri').notNullable();
    t.boolean('encrypted').notNullable().defaultTo(false);
    t.text('status').notNullable().defaultTo('subscribe'); // subscribe | unsubscribe
    t.bigInteger('last_event_seq').notNullable();
    t.text('end_reason'); // unsubscribed | ended
    t.text('unsubscribed_by'); // correlation_id of the unsubscribe request
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('ended_at', { useTz: true });
    t.unique(['correlation_id', 'item_index']);
  });
  // rjct.event.already_subscribed: one active subscription per sender and criteria.
  await knex.raw(
    "CREATE UNIQUE INDEX dci_subscriptions_active_criteria ON dci_subscriptions (registry, sender_id, criteria_hash) WHERE status = 'subscribe'",
  );

  // What each firing of a subscription found and sent, so a retried firing resends the same notify.
  await knex.schema.createTable('dci_subscription_firings', (t) => {
    t.text('code').notNullable().references('dci_subscriptions.code').onDelete('CASCADE');
    t.timestamp('fired_at', { useTz: true }).notNullable();
    t.bigInteger('from_seq').notNullable();
    t.bigInteger('to_seq').notNullable();
    t.integer('record_count').notNullable();
    t.specificType('delivery_ids', 'text[]').notNullable().defaultTo('{}');
    t.primary(['code', 'fired_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'dci_subscription_firings', 'dci_subscriptions', 'dci_search_hits', 'dci_transactions',
    'dci_sender_keys', 'dci_senders', 'registry_life_events', 'registry_records',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
