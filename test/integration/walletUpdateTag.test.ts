import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

/**
 * The update tag: every change of what a pass shows moves it (a trigger, whichever code writes),
 * and queues a push only when a wallet holds the pass. And production's refusal to serve passes
 * without the real Apple certificates, on the real `npm run api` entry point.
 */
describe('pass update tag and push queue (real PostgreSQL)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  it('moves on every content change, never on wallet bookkeeping; queues only passes a wallet holds', async () => {
    const t = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, t.org.id);
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } } }`, {
      i: { title: t.title, passDetails: [{ externalReferenceID: 'a', dynamicFields: { membership_number: '1', membership_name: 'N' } }, { externalReferenceID: 'b', dynamicFields: { membership_number: '2', membership_name: 'M' } }] },
    });
    const [held, loose] = res.body.data.distributeIndividualPass.successList.map((p: { serialNumber: string }) => p.serialNumber);
    const ids = Object.fromEntries((await h.deps.db('passes').whereIn('serial_number', [held, loose]).select('serial_number', 'id')).map((r) => [r.serial_number, r.id]));
    await h.deps.db('device_registrations').insert({ pass_id: ids[held], device_library_identifier: 'dev-1', push_token: crypto.randomBytes(32).toString('hex') });
    const tag = async (serial: string) => (await h.deps.db('passes').where({ serial_number: serial }).first(h.deps.db.raw('pass_updated_at::text as t'))).t as string;
    const queued = async () => (await h.deps.db('wallet_push_queue').whereIn('pass_id', [ids[held], ids[loose]]).pluck('pass_id')) as string[];

    let last = await tag(held);
    const changes: Record<string, unknown>[] = [
      { payload: 'P2' },
      { dynamic_field_data: JSON.stringify({ membership_number: '9', membership_name: 'X' }) },
      { locations: ['somewhere'] },
      { expired_timestamp: new Date(Date.now() + 86_400_000) },
      { forgotten_at: new Date() },
      { is_expired: true },
    ];
    for (const change of changes) {
      await h.deps.db('passes').whereIn('id', [ids[held], ids[loose]]).update(change);
      const now = await tag(held);
      expect(now > last).toBe(true); // text of timestamptz in one zone sorts as time
      last = now;
    }
    // Wallet bookkeeping and the Google flag are not changes of the pass.
    await h.deps.db('passes').where({ id: ids[held] }).update({ registered: true, is_redeemed: true, device_os: 'Apple', modifier: 'x' });
    expect(await tag(held)).toBe(last);
    // Only the pass on a device is queued, once, with its newest tag.
    expect(await queued()).toEqual([ids[held]]);
    const row = await h.deps.db('wallet_push_queue').where({ pass_id: ids[held] }).first(h.deps.db.raw('update_tag::text as t'));
    expect(row.t).toBe(last);
    // A Google save link handed out makes the other one held too.
    await h.deps.db('passes').where({ id: ids[loose] }).update({ google_object_issued: true });
    expect(await queued()).toEqual([ids[held]]);
    await h.deps.db('passes').where({ id: ids[loose] }).update({ payload: 'P3' });
    expect((await queued()).sort()).toEqual([ids[held], ids[loose]].sort());
  });

  it('production: `npm run api` refuses to start without the Apple certificates, naming the variable', async () => {
    const root = path.resolve(__dirname, '..', '..');
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      PASS_LINK_KEY: crypto.randomBytes(32).toString('base64'),
      PAYLOAD_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
      CODEC_AUTH_TOKEN: 'c'.repeat(32),
      DATABASE_URL: h.deps.config.databaseUrl!,
      PORT: '0',
      LOG_LEVEL: 'silent',
      CALLBACK_ALLOW_PRIVATE: 'false',
    };
    for (const v of ['APPLE_PASS_CERT', 'APPLE_PASS_KEY', 'APPLE_WWDR_CERT', 'APPLE_TEAM_ID']) delete (env as Record<string, string | undefined>)[v];
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/bin/api.ts'], { cwd: root, env, timeout: 90_000 }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/APPLE_PASS_CERT: is required in production to serve Apple Wallet passes/);
  });
});
