import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDeps, closeDeps } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { Deps } from '../../src/deps';
import { generateRecords } from '../../src/services/dci/generate';

/** `npm run admin -- registry ... / dci ...` against the test database, as an operator runs them. */
describe('admin CLI: DCI registry commands', () => {
  let deps: Deps;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-dci-cli-'));
  const root = path.join(__dirname, '../..');
  const admin = (...args: string[]) => {
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/bin/admin.ts', ...args], { cwd: root, env: process.env, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  beforeAll(async () => {
    const config = loadConfig();
    deps = await buildDeps(config, { databaseUrl: config.databaseUrl! });
  });
  afterAll(async () => {
    await closeDeps(deps);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads records from a file (all or nothing), upserting by identifier with life events', async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    const records = generateRecords('dr', 3, crypto.randomInt(0, 999_999)).map((r) => ({ ...r, location: `cli-${tag}` }));
    const file = path.join(dir, 'dr.json');
    fs.writeFileSync(file, JSON.stringify([...records, { personal_details: { name: {} } }]));
    const bad = admin('registry', 'load', '--registry', 'dr', '--file', file);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/records\[3\]\.personal_details\.identifier: is required/);
    const inTag = () => deps.db('registry_records').where({ registry: 'dr' }).whereRaw('record @> ?::jsonb', [JSON.stringify({ location: `cli-${tag}` })]);
    expect(await inTag()).toHaveLength(0);

    fs.writeFileSync(file, JSON.stringify({ records }));
    const ok = admin('registry', 'load', '--registry', 'dr', '--file', file);
    expect(ok.out).toMatch(/3 records created, 0 updated/);
    expect(admin('registry', 'load', '--registry', 'dr', '--file', file).out).toMatch(/0 records created, 3 updated/);
    const rows = await inTag();
    expect(rows).toHaveLength(3);
    const events = await deps.db('registry_life_events').whereIn('record_id', rows.map((r) => r.id));
    expect(events.map((e) => e.event_type).sort()).toEqual(['REGISTER', 'REGISTER', 'REGISTER', 'UPDATE', 'UPDATE', 'UPDATE']);
    expect(admin('registry', 'load', '--registry', 'xx', '--file', file).err).toMatch(/--registry: must be dr or fr/);
  });

  it('generates synthetic records and registers a sender with keys from keygen', async () => {
    const seed = String(crypto.randomInt(0, 999_999));
    const gen = admin('registry', 'generate', '--registry', 'fr', '--count', '25', '--seed', seed);
    expect(gen.out).toMatch(/generated 25 records/);
    expect(await deps.db('registry_records').where({ registry: 'fr' }).where('identifier', 'like', `M${seed.padStart(6, '0')}%`)).toHaveLength(25);

    const prefix = path.join(dir, 'spmis');
    expect(admin('dci', 'keygen', '--file', prefix).code).toBe(0);
    const id = `cli-${seed}.example.org`;
    const add = admin('dci', 'sender', 'add', '--id', id, '--name', 'CLI sender', '--signing-key', `${prefix}-signing.jwk.json`, '--signing-key-id', 'k1', '--encryption-key', `${prefix}-encryption.jwk.json`);
    expect(add.out).toMatch(new RegExp(`kidId="${id.replace(/\./g, '\\.')}\\|k1\\|ed25519"`));
    const keys = await deps.db('dci_sender_keys').where({ sender_id: id }).orderBy('use', 'desc');
    expect(keys.map((k) => [k.use, k.public_jwk.crv, 'd' in k.public_jwk])).toEqual([['sig', 'Ed25519', false], ['enc', 'X25519', false]]);
    expect(admin('dci', 'sender', 'add', '--id', 'bad id', '--name', 'x').err).toMatch(/--id:/);
  });
});
