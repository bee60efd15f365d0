import type { Knex } from 'knex';
import * as foundation from './20261129000001_foundation';

/**
 * Migrations listed in code rather than discovered on disk, so the same list runs under tsx,
 * compiled JS and Jest alike. Append new migrations; never reorder or edit applied ones.
 */
const migrations: Record<string, Knex.Migration> = {
  '20261129000001_foundation': foundation,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
