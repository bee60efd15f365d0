import type { Knex } from 'knex';

/** Result files are stored gzip-compressed (CSV shrinks ~5x): less memory and disk per batch. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stored_files', (t) => {
    t.text('content_encoding').notNullable().defaultTo('identity');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stored_files', (t) => t.dropColumn('content_encoding'));
}
