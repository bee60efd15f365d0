import type { Knex } from 'knex';

/**
 * The notification outbox becomes a delivery queue (issue 13): each row is one message to one
 * recipient with its delivery state, a stable message ID for idempotent retries, and either a
 * pre-rendered body or a template rendered at send time. Plus the attempt log, organisation users
 * (recipients of result emails) and the per-organisation results-email switch.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notification_outbox', (t) => {
    // pass-delivery | results | invitation | verification-code | report | message
    t.text('kind').notNullable().defaultTo('message');
    // The delivery run that owns the row (workflow notify-<dispatch_key>, or a batch's delivery stage).
    t.text('dispatch_key');
    // Rendered at send time: a template title (pass deliveries) and its placeholder values.
    t.text('template');
    t.jsonb('params');
    // Values that must never be stored readable (one-time codes): AES-GCM sealed, cleared after the send.
    t.text('secret_params');
    t.text('html_body');
    // Stable across retries: the email's Message-ID, the SMS provider's idempotency key.
    t.text('message_id');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.text('provider_message_id');
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A delivery run leases the rows it is sending; a crashed run's lease expires (or its retry takes it back).
    t.text('lease_owner');
    t.timestamp('lease_until', { useTz: true });
    t.timestamp('updated_at', { useTz: true });
    t.index(['dispatch_key', 'status', 'next_attempt_at'], 'notification_outbox_due');
    t.index(['organisation_id', 'created_at'], 'notification_outbox_org_created');
  });
  await knex.raw(`UPDATE notification_outbox SET message_id = id::text WHERE message_id IS NULL`);

  await knex.schema.createTable('notification_attempts', (t) => {
    t.bigIncrements('id');
    t.uuid('outbox_id').notNullable().references('notification_outbox.id').onDelete('CASCADE');
    t.integer('attempt').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.integer('duration_ms').notNullable();
    // sent | retry | failed
    t.text('outcome').notNullable();
    t.text('error');
    t.index(['outbox_id']);
  });

  await knex.schema.createTable('organisation_users', (t) => {
    t.text('organisation_id').notNullable().references('organisations.id').onDelete('CASCADE');
    // Stored lower-case: one user per address and organisation.
    t.text('email').notNullable();
    t.specificType('roles', 'text[]').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['organisation_id', 'email']);
  });

  await knex.schema.alterTable('organisations', (t) => {
    t.boolean('results_email').notNullable().defaultTo(true);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organisations', (t) => t.dropColumn('results_email'));
  await knex.schema.dropTableIfExists('organisation_users');
  await knex.schema.dropTableIfExists('notification_attempts');
  await knex.schema.alterTable('notification_outbox', (t) => {
    t.dropIndex([], 'notification_outbox_due');
    t.dropIndex([], 'notification_outbox_org_created');
    for (const c of ['kind', 'dispatch_key', 'template', 'params', 'secret_params', 'html_body', 'message_id', 'attempts', 'last_error', 'provider_message_id', 'next_attempt_at', 'lease_owner', 'lease_until', 'updated_at']) t.dropColumn(c);
  });
}
