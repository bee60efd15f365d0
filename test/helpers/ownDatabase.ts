import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { createDb, Db, migrateLatest } from '../../src/db/knex';

/**
 * A migrated database of the calling test file's own on the test cluster, dropped afterwards: for
 * tests that expect registry data versions to move only by their own writes, which other files'
 * writes to the shared database would break. Call at the top of a describe; `seed` runs once it is
 * migrated.
 */
export function ownDatabase(prefix: string, seed: (db: Db) => Promise<void>): () => Db {
  const url = new URL(loadConfig().databaseUrl!);
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  let admin: Db | undefined;
  let db: Db | undefined;
  beforeAll(async () => {
    admin = createDb(url.toString());
    await admin.raw(`CREATE DATABASE ${name}`);
    db = createDb(Object.assign(new URL(url), { pathname: `/${name}` }).toString());
    await migrateLatest(db);
    await seed(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await admin?.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.destroy();
  });
  return () => db!;
}
