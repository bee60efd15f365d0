import type { Knex } from 'knex';
import * as foundation from './20261129000001_foundation';
import * as callbacks from './20261129000002_callbacks_files_outbox';
import * as dciRegistries from './20261129000020_dci_registries';

/**
 * Migrations listed in code rather than discovered on disk, so the same list runs under tsx,
 * compiled JS and Jest alike. Append new migrations; never reorder or edit applied ones.
 */
const migrations: Record<string, Knex.Migration> = {
  '20261129000001_foundation': foundation,
  '20261129000002_callbacks_files_outbox': callbacks,
  '20261129000020_dci_registries': dciRegistries,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
