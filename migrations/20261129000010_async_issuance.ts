import type { Knex } from 'knex';

/** Async issuance requests (seed 000) and the communications sent for them. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('async_issuance_requests', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').notNullable().references('organisations.id');
    // The contract: the pass design issued on claim.
    t.uuid('pass_design_id').notNullable().references('pass_designs.id');
    t.text('status').notNullable().defaultTo('PENDING');
    t.text('expiry').notNullable();
    t.timestamp('expires_on', { useTz: true }).notNullable();
    t.text('failure_reason');
    // The issuee.
    t.uuid('identity_id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('identity_name');
    t.text('identity_email');
    t.text('identity_phone');
    // Contact data: cleared when the request reaches a final status (only needed while pending).
    t.text('notification_email');
    t.text('notification_phone');
    t.text('verification_email');
    t.text('verification_phone');
    t.boolean('photo_capture').notNullable().defaultTo(false);
    t.uuid('photo_file_id').references('stored_files.id');
    // What the pass is created from on claim (validated against the design at creation).
    t.jsonb('pass_dynamic_fields').notNullable().defaultTo('{}');
    t.text('pass_external_reference_id').notNullable();
    // One-time code: only an HMAC of it is stored; attempts count wrong codes over the request's life.
    t.text('otp_hash');
    t.timestamp('otp_expires_at', { useTz: true });
    t.timestamp('otp_sent_at', { useTz: true });
    t.integer('otp_attempts').notNullable().defaultTo(0);
    t.timestamp('claim_verified_at', { useTz: true });
    // The issued pass.
    t.uuid('issuance_pass_id').references('passes.id');
    t.timestamp('issued_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('created_by').notNullable();
    t.timestamp('updated_at', { useTz: true });
    t.text('updated_by');
    t.index(['organisation_id', 'created_at', 'id']);
    t.index(['organisation_id', 'status']);
    t.check(`?? in ('PENDING','COMPLETED','CANCELLED','EXPIRED','FAILED')`, ['status'], 'async_issuance_status_known');
  });
  await knex.raw('CREATE INDEX async_issuance_requests_identity_email ON async_issuance_requests (organisation_id, lower(identity_email))');

  await knex.schema.createTable('async_issuance_communications', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('request_id').notNullable().references('async_issuance_requests.id').onDelete('CASCADE');
    // Makes every send idempotent: e.g. "invitation-2-EMAIL" (the workflow's send sequence number).
    t.text('send_key').notNullable();
    t.text('channel').notNullable(); // EMAIL | SMS
    t.text('purpose').notNullable(); // INVITATION | VERIFICATION_CODE
    t.text('status').notNullable();
    t.uuid('outbox_id').references('notification_outbox.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.unique(['request_id', 'send_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('async_issuance_communications');
  await knex.schema.dropTableIfExists('async_issuance_requests');
}
