import type { Knex } from 'knex';
import { up as addSearchProjection } from './20261203030001_dci_search_column';

/**
 * Drops the stored `search` projection of DCI records (migration 20261203030001). Every path it
 * held now has its own typed column (strings: 20261203040001, numbers: 20261202070003), which
 * filters use; sort keys read those columns too. The projection had become half of each record's
 * main-heap tuple (~490 of ~980 bytes: the record itself is out of line), so every search that
 * visits candidate rows read twice the pages it needs, and each written record paid a plpgsql
 * projection and a GIN index entry for nothing.
 *
 * DROP COLUMN does not rewrite the table: rows written before keep the dead bytes until they are
 * updated, or until `VACUUM FULL registry_records` (which locks the table while it runs) in a
 * maintenance window; records loaded after this migration are narrow from the start.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS registry_records_search_gin');
  await knex.raw('ALTER TABLE registry_records DROP COLUMN IF EXISTS search');
  await knex.raw('DROP FUNCTION IF EXISTS dci_project(jsonb, jsonb)');
}

export async function down(knex: Knex): Promise<void> {
  await addSearchProjection(knex);
}
