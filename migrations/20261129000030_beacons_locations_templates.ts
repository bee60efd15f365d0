import type { Knex } from 'knex';

/** An organisation's BLE beacons, geolocations and pass delivery templates (seed 003), unique by title. */
export async function up(knex: Knex): Promise<void> {
  const common = (t: Knex.CreateTableBuilder) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('organisation_id').notNullable().references('organisations.id');
    t.text('title').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('creator').notNullable();
    t.timestamp('last_modified', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('modifier').notNullable();
    t.unique(['organisation_id', 'title']);
  };

  await knex.schema.createTable('beacons', (t) => {
    common(t);
    t.text('proximity_uuid').notNullable();
    t.integer('major');
    t.integer('minor');
    t.text('message_text').notNullable();
    t.check('major IS NULL OR major BETWEEN 0 AND 65535', [], 'beacons_major_range');
    t.check('minor IS NULL OR minor BETWEEN 0 AND 65535', [], 'beacons_minor_range');
    t.index(['organisation_id', 'last_modified', 'id']);
  });

  await knex.schema.createTable('locations', (t) => {
    common(t);
    t.double('latitude').notNullable();
    t.double('longitude').notNullable();
    t.double('altitude');
    t.text('message_text').notNullable();
    t.check('latitude BETWEEN -90 AND 90', [], 'locations_latitude_range');
    t.check('longitude BETWEEN -180 AND 180', [], 'locations_longitude_range');
    t.index(['organisation_id', 'last_modified', 'id']);
  });

  await knex.schema.createTable('pass_delivery_templates', (t) => {
    common(t);
    t.text('type').notNullable();
    t.text('subject').notNullable();
    t.text('preheader').notNullable();
    t.text('body').notNullable();
    t.text('footer').notNullable();
    t.text('image_url').notNullable();
    t.index(['organisation_id', 'created_at', 'id']);
    t.index(['organisation_id', 'type', 'created_at', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['pass_delivery_templates', 'locations', 'beacons']) await knex.schema.dropTableIfExists(table);
}
