import { loadConfig } from '../config';
import { createDb, migrateLatest } from '../db/knex';
import { logger } from '../logger';
import { run } from './run';

/** `npm run migrate`: applies pending migrations to DATABASE_URL and exits. */
run(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for npm run migrate');
  const db = createDb(config.databaseUrl);
  try {
    const applied = await migrateLatest(db);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
  } finally {
    await db.destroy();
  }
});
