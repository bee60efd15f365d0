import { migrationSource } from '../../migrations';
import type { Db } from '../../src/db/knex';
import { createOrganisation } from '../../src/services/organisations';
import { createPassDesign, defaultPresentation } from '../../src/services/passDesigns';
import { ownDatabase } from '../helpers/ownDatabase';

/** Tables, columns, constraints and indexes of the public schema, as one comparable list. */
async function schema(db: Db): Promise<string[]> {
  const { rows } = await db.raw(`
    SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'knex%'
    UNION ALL
    SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE 'knex%'
    UNION ALL
    SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'knex%'
    UNION ALL
    SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT 'function ' || proname || ' ' || md5(pg_get_functiondef(p.oid)) FROM pg_proc p
     WHERE pronamespace = 'public'::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') -- an extension's
    ORDER BY 1`);
  return rows.map((r: { line: string }) => r.line);
}

describe('migrations', () => {
  const db = ownDatabase('migrations', async () => undefined);

  it('every down undoes its own up: down one at a time, the schema is the one before that up, and up again it is whole', async () => {
    const names = await migrationSource.getMigrations([]);
    const migrated = await schema(db());
    const [, undone] = (await db().migrate.rollback({ migrationSource }, true)) as [number, string[]];
    expect(undone).toHaveLength(names.length);
    expect(await schema(db())).toEqual([]);
    // Up one at a time, keeping the schema each one leaves; then down one at a time against them.
    const before: string[][] = [];
    for (let i = 0; i < names.length; i++) {
      before.push(await schema(db()));
      await db().migrate.up({ migrationSource });
    }
    expect(await schema(db())).toEqual(migrated);
    for (let i = names.length - 1; i >= 0; i--) {
      await db().migrate.down({ migrationSource });
      expect({ after: names[i], schema: await schema(db()) }).toEqual({ after: names[i], schema: before[i] });
    }
    await db().migrate.latest({ migrationSource });
    expect(await schema(db())).toEqual(migrated);
  });

  it("a pass's organisation and design are one key: a design of another organisation is refused", async () => {
    await db().migrate.latest({ migrationSource }); // whatever the test above left
    const actor = 'test';
    const [a, b] = [await createOrganisation(db(), { id: 'mig-a', name: 'A' }), await createOrganisation(db(), { id: 'mig-b', name: 'B' })];
    const design = await createPassDesign(db(), { organisationId: a.id, title: 'Gym', prefix: 'MG', dynamicFieldKeys: [], actor, presentation: defaultPresentation(a.name, 'Gym', [], 'http://localhost') });
    const pass = (organisationId: string, serial: string) =>
      db()('passes').insert({ organisation_id: organisationId, pass_design_id: design.id, serial_number: serial, prefix: 'MG', card_number: serial, authentication_token: serial, creator: actor, modifier: actor });
    await pass(a.id, 'MG1');
    await expect(pass(b.id, 'MG2')).rejects.toThrow(/passes_design_foreign/);
    await expect(pass('no-such-org', 'MG3')).rejects.toThrow(/passes_design_foreign/);
    expect(await db()('passes').pluck('serial_number')).toEqual(['MG1']);
  });

  it('registry writes list the records each transaction wrote; a statement of more than 10,000 records and a truncate list none, only that they wrote', async () => {
    await db().migrate.latest({ migrationSource });
    const listed = async (write: (trx: Db) => Promise<unknown>) =>
      db().transaction(async (trx) => {
        await write(trx);
        const { rows } = await trx.raw('SELECT registry, record_id FROM registry_changes WHERE xid = pg_current_xact_id() ORDER BY record_id NULLS FIRST, registry');
        return rows as { registry: string; record_id: string | null }[];
      });
    const insert = (trx: Db, n: number, prefix: string) =>
      trx.raw(`INSERT INTO registry_records (registry, identifier, record) SELECT 'dr', ? || i, '{}'::jsonb FROM generate_series(1, ?) i`, [prefix, n]);
    const three = await listed((trx) => insert(trx, 3, 'three-'));
    expect(three.map((r) => r.registry)).toEqual(['dr', 'dr', 'dr']);
    expect(three.map((r) => r.record_id).sort()).toEqual((await db()('registry_records').where('identifier', 'like', 'three-%').pluck('id')).sort());
    // An update lists its records from both sides (old and new rows): a record moved to FR is listed for both registries.
    const moved = await listed((trx) => trx.raw("UPDATE registry_records SET registry = 'fr' WHERE identifier = 'three-1'"));
    expect(moved.map((r) => r.registry).sort()).toEqual(['dr', 'fr']);
    expect(await listed((trx) => insert(trx, 10_001, 'bulk-'))).toEqual([{ registry: 'dr', record_id: null }]);
    expect(await listed((trx) => trx.raw('TRUNCATE registry_records CASCADE'))).toEqual([
      { registry: 'dr', record_id: null },
      { registry: 'fr', record_id: null },
    ]);
  });
});
