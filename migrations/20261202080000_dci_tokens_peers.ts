import type { Knex } from 'knex';

/**
 * DCI bearer tokens and Steward as the receiving party (issue 15):
 * - OAuth clients belong to a card issuer (seed 001) or to a registered DCI sender: the one token
 *   endpoint serves both;
 * - how Steward gets a token from a peer's token API when it calls that peer (callbacks to a
 *   subscriber, or requests Steward sends as a subscriber/searcher), per registry of ours;
 * - the requests Steward sends to other registries, and the callbacks it receives from them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth_clients', (t) => {
    t.setNullable('issuer_id');
    t.text('dci_sender_id').references('dci_senders.id').onDelete('CASCADE');
    t.index(['dci_sender_id']);
  });
  await knex.raw(`ALTER TABLE oauth_clients ADD CONSTRAINT oauth_clients_one_owner CHECK ((issuer_id IS NULL) <> (dci_sender_id IS NULL))`);

  await knex.schema.createTable('dci_peer_tokens', (t) => {
    t.text('peer_id').notNullable(); // the peer's DCI id (its sender_id / our receiver_id)
    t.text('registry').notNullable(); // which of our registries calls it: 'dr' | 'fr'
    t.text('token_url').notNullable();
    t.text('client_id').notNullable();
    // The peer issued it to us; we must present it, so it cannot be hashed (see README).
    t.text('client_secret').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['peer_id', 'registry']);
  });

  await knex.schema.createTable('dci_outbound_requests', (t) => {
    t.text('message_id').primary();
    t.text('registry').notNullable(); // ours, the sender
    t.text('peer_id').notNullable(); // the receiver
    t.text('url').notNullable();
    t.text('action').notNullable(); // search | subscribe | unsubscribe | txn-status
    t.text('transaction_id').notNullable();
    t.jsonb('request').notNullable();
    t.text('status').notNullable(); // sent | acked | refused | rcvd | pdng | succ | rjct
    t.text('peer_correlation_id');
    t.jsonb('ack');
    t.specificType('subscription_codes', 'text[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['registry', 'peer_id', 'transaction_id']);
  });

  await knex.schema.createTable('dci_received_callbacks', (t) => {
    t.bigIncrements('id');
    t.text('registry').notNullable(); // ours, the receiver
    t.text('sender_id').notNullable().references('dci_senders.id');
    t.text('message_id').notNullable();
    t.text('action').notNullable(); // on-search | on-subscribe | on-unsubscribe | notify | txn-on-status
    t.text('transaction_id');
    t.text('correlation_id');
    t.text('subscription_code');
    t.text('status');
    t.text('digest').notNullable();
    t.jsonb('header').notNullable();
    // Decrypted when it arrived encrypted.
    t.jsonb('message').notNullable();
    t.integer('record_count').notNullable().defaultTo(0);
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['registry', 'sender_id', 'message_id']);
    t.index(['registry', 'sender_id', 'transaction_id']);
    t.index(['subscription_code']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('dci_received_callbacks');
  await knex.schema.dropTableIfExists('dci_outbound_requests');
  await knex.schema.dropTableIfExists('dci_peer_tokens');
  await knex('oauth_clients').whereNotNull('dci_sender_id').delete();
  await knex.raw('ALTER TABLE oauth_clients DROP CONSTRAINT oauth_clients_one_owner');
  await knex.schema.alterTable('oauth_clients', (t) => {
    t.dropColumn('dci_sender_id');
    t.dropNullable('issuer_id');
  });
}
