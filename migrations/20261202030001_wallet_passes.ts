import type { Knex } from 'knex';

/**
 * Real wallet passes: design images, the pass's update tag, whether a Google object was handed out,
 * and the queue of passes whose wallets must hear of a change.
 *
 * The update tag (`pass_updated_at`) is moved by a trigger, not by each writer: every change of what
 * a pass shows (expiry, payload, user details, beacons, locations, link window, GDPR erasure) moves it,
 * whichever code path makes it, and strictly forward (two changes in one microsecond still differ).
 * The same trigger queues the pass for a push when a wallet holds it (an Apple device registered, or a
 * Google object handed out); the queue keeps one row per pass with its newest tag, so a burst of
 * changes is one push, and a push is done once per (pass, tag).
 */
const CONTENT_COLUMNS = [
  'is_expired',
  'expired_timestamp',
  'payload',
  'dynamic_field_data',
  'delivery_name',
  'delivery_salutation',
  'beacons',
  'locations',
  'link_start_time',
  'link_end_time',
  'forgotten_at',
  'pass_design_id',
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pass_design_images', (t) => {
    t.uuid('pass_design_id').notNullable().references('pass_designs.id').onDelete('CASCADE');
    // icon, icon@2x, logo, logo@2x, strip, strip@2x (and @3x), as Apple names the files (without .png).
    t.text('name').notNullable();
    t.binary('content').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['pass_design_id', 'name']);
  });

  await knex.schema.alterTable('passes', (t) => {
    t.timestamp('pass_updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A Google save link carrying this pass's object was handed out: its object may exist at Google.
    t.boolean('google_object_issued').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('wallet_push_queue', (t) => {
    t.uuid('pass_id').primary().references('passes.id').onDelete('CASCADE');
    t.timestamp('update_tag', { useTz: true }).notNullable();
    // A pusher holds the row until then (SKIP LOCKED claims); after a failure, the earliest retry.
    t.timestamp('claimed_until', { useTz: true });
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('queued_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE INDEX wallet_push_queue_claimable ON wallet_push_queue (claimed_until NULLS FIRST)');

  const changed = CONTENT_COLUMNS.map((c) => `NEW.${c} IS DISTINCT FROM OLD.${c}`).join(' OR ');
  await knex.raw(`
    CREATE FUNCTION steward_pass_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${changed} THEN
        NEW.pass_updated_at := greatest(clock_timestamp(), OLD.pass_updated_at + interval '1 microsecond');
        IF NEW.google_object_issued OR EXISTS (SELECT 1 FROM device_registrations r WHERE r.pass_id = NEW.id) THEN
          INSERT INTO wallet_push_queue (pass_id, update_tag) VALUES (NEW.id, NEW.pass_updated_at)
          ON CONFLICT (pass_id) DO UPDATE SET update_tag = EXCLUDED.update_tag, claimed_until = NULL, attempts = 0, queued_at = now();
        END IF;
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw('CREATE TRIGGER passes_wallet_update BEFORE UPDATE ON passes FOR EACH ROW EXECUTE FUNCTION steward_pass_changed()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS passes_wallet_update ON passes');
  await knex.raw('DROP FUNCTION IF EXISTS steward_pass_changed()');
  await knex.schema.dropTableIfExists('wallet_push_queue');
  await knex.schema.alterTable('passes', (t) => {
    t.dropColumn('pass_updated_at');
    t.dropColumn('google_object_issued');
  });
  await knex.schema.dropTableIfExists('pass_design_images');
}
