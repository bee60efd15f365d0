import type { Knex } from 'knex';

/**
 * GDPR: forget requests for passes (seed 003), and the card issuer's consumers with their
 * accounts, cards and digital cards, deletion operations and OAuth clients (seed 001).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('passes', (t) => {
    // Set when the end user's personal details were erased: the pass reads as forgotten.
    t.timestamp('forgotten_at', { useTz: true });
  });

  // One per pass: who asked, when, and (once done) what was erased. Survives the erasure.
  await knex.schema.createTable('pass_forget_requests', (t) => {
    t.uuid('pass_id').primary().references('passes.id');
    t.text('organisation_id').notNullable().references('organisations.id');
    t.text('serial_number').notNullable();
    t.text('requested_by').notNullable();
    t.timestamp('requested_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('erase_after', { useTz: true }).notNullable();
    t.text('status').notNullable().defaultTo('PENDING'); // PENDING | EXPIRED | ERASED
    t.timestamp('erased_at', { useTz: true });
    // Counts per erasure target (table or file kind): IDs and counts only.
    t.jsonb('erased').notNullable().defaultTo('{}');
    t.index(['organisation_id', 'requested_at']);
  });

  await knex.schema.createTable('issuers', (t) => {
    t.text('id').primary(); // seed 001: exactly 10 characters
    t.text('name').notNullable();
    // The organisation whose passes this issuer's digital cards are.
    t.text('organisation_id').notNullable().references('organisations.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check('length(id) = 10', [], 'issuers_id_length');
  });

  await knex.schema.createTable('oauth_clients', (t) => {
    t.text('client_id').primary();
    t.text('issuer_id').notNullable().references('issuers.id');
    // scrypt$<salt>$<hash>: the secret itself is shown once, at creation.
    t.text('secret_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
  });

  await knex.schema.createTable('consumers', (t) => {
    t.text('issuer_id').notNullable().references('issuers.id');
    t.text('consumer_id').notNullable();
    t.text('name');
    t.text('email');
    t.text('status').notNullable().defaultTo('ACTIVE'); // ACTIVE | DELETED
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A deleted consumer stays as a tombstone without personal data: its ID is never registered again.
    t.timestamp('deleted_at', { useTz: true });
    t.primary(['issuer_id', 'consumer_id']);
  });

  await knex.schema.createTable('accounts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('issuer_id').notNullable();
    t.text('consumer_id').notNullable();
    t.text('account_ref').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['issuer_id', 'consumer_id']).references(['issuer_id', 'consumer_id']).inTable('consumers');
    t.unique(['issuer_id', 'account_ref']);
  });

  await knex.schema.createTable('cards', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('account_id').notNullable().references('accounts.id');
    t.text('card_ref').notNullable();
    t.text('cardholder_name');
    t.text('pan_last4');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['account_id', 'card_ref']);
  });

  // A digital card is a pass in a wallet.
  await knex.schema.createTable('digital_cards', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('card_id').notNullable().references('cards.id');
    t.uuid('pass_id').notNullable().unique().references('passes.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('consumer_operations', (t) => {
    t.text('operation_id').primary();
    t.text('issuer_id').notNullable().references('issuers.id');
    t.text('consumer_id').notNullable();
    t.text('operation').notNullable(); // DELETE
    t.text('status').notNullable(); // PENDING | SUCCESS | FAILED
    t.timestamp('start_time', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('end_time', { useTz: true });
    t.text('requestor_type').notNullable(); // USER | ISSUER | CCI
    t.text('requestor_id').notNullable();
    t.text('reason');
    t.text('reason_code').notNullable();
    t.text('correlation_id');
    t.text('error_code');
    t.text('error');
    // Counts of what was deleted: IDs and counts only.
    t.jsonb('details');
    t.index(['issuer_id', 'consumer_id', 'start_time']);
    t.index(['start_time']);
  });
  // At most one deletion in progress per consumer: a repeated request joins it.
  await knex.raw(
    `CREATE UNIQUE INDEX consumer_operations_one_pending_delete ON consumer_operations (issuer_id, consumer_id) WHERE operation = 'DELETE' AND status = 'PENDING'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['consumer_operations', 'digital_cards', 'cards', 'accounts', 'consumers', 'oauth_clients', 'issuers', 'pass_forget_requests']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('passes', (t) => t.dropColumn('forgotten_at'));
}
