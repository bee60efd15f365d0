import crypto from 'node:crypto';
import { generateRecords } from '../../src/services/dci/generate';
import { dciKeys } from '../../src/services/dci/keys';
import { updateRecord, upsertRecords } from '../../src/services/dci/records';
import { adminCli, succeeded } from '../helpers/adminCli';
import { expectValidCallback } from '../helpers/dciSpec';
import { eventually, Harness, startHarness } from '../helpers/harness';

/**
 * Steward as both parties over HTTP: its Farmer Registry subscribes (`admin dci subscribe`) to its
 * Disability Registry. The DR's on-subscribe, notify and on-unsubscribe callbacks come back to
 * the FR's receiving paths, each with a bearer token the DR got from the FR's token API
 * (POST /oauth/token with the client credentials `admin dci sender add` printed), and are
 * verified, recorded and matched to the request that caused them.
 */

describe('DCI: Steward\'s FR subscribes to Steward\'s DR over HTTP', () => {
  let h: Harness;
  let admin: ReturnType<typeof adminCli>;
  const tag = crypto.randomBytes(4).toString('hex');
  const ids = { dr: `dr-${tag}.steward.test`, fr: `fr-${tag}.steward.test` };
  const saved = { dr: process.env.DCI_DR_ID, fr: process.env.DCI_FR_ID };

  beforeAll(async () => {
    process.env.DCI_DR_ID = ids.dr;
    process.env.DCI_FR_ID = ids.fr;
    h = await startHarness();
    admin = adminCli({ DCI_DR_ID: ids.dr, DCI_FR_ID: ids.fr, PUBLIC_BASE_URL: h.baseUrl });
  });
  afterAll(async () => {
    for (const [k, v] of [['DCI_DR_ID', saved.dr], ['DCI_FR_ID', saved.fr]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await h.close();
  });

  const creds = (stdout: string) => ({
    id: /client_id:\s+(\S+)/.exec(stdout)![1],
    secret: /client_secret:\s+(\S+)/.exec(stdout)![1],
  });
  const received = (action: string) => h.deps.db('dci_received_callbacks').where({ registry: 'fr', sender_id: ids.dr, action }).orderBy('id');

  it('subscribes with admin dci subscribe, gets on-subscribe, batched notifies and on-unsubscribe, all token-authorised', async () => {
    const publicKey = JSON.stringify(crypto.createPublicKey(dciKeys(h.deps.config).signing.privateKey).export({ format: 'jwk' }));
    const keyId = dciKeys(h.deps.config).signing.kid;
    const tokenUrl = `${h.baseUrl}/oauth/token`;
    // Each registry is a sender to the other: their public key, and a client for the token API.
    const drAdd = await admin('dci', 'sender', 'add', '--id', ids.dr, '--name', 'Steward DR', '--signing-key', publicKey, '--signing-key-id', keyId);
    expect(succeeded(drAdd).stdout).toMatch(/client_secret:/);
    const frAdd = await admin('dci', 'sender', 'add', '--id', ids.fr, '--name', 'Steward FR', '--signing-key', publicKey, '--signing-key-id', keyId);
    succeeded(frAdd);
    const dr = creds(drAdd.stdout);
    const fr = creds(frAdd.stdout);
    // The DR calls the FR (callbacks) with the client the FR side issued to the DR.
    const drCalls = await admin('dci', 'sender', 'add', '--id', ids.fr, '--name', 'Steward FR', '--as', 'dr', '--token-url', tokenUrl, '--client-id', dr.id, '--client-secret', dr.secret);
    expect(succeeded(drCalls).stdout).toMatch(/OAuth client\(s\)/);

    // A DR record matching the filter, and one that does not, before the subscription.
    const location = `loc-${tag}`;
    const [before, other]: any[] = generateRecords('dr', 2, crypto.randomInt(0, 999_999)).map((r, i) => ({ ...r, location: i === 0 ? location : `elsewhere-${tag}` }));
    await upsertRecords(h.deps.db, 'dr', [before, other]);

    const sub = await admin(
      'dci', 'subscribe', '--as', 'fr', '--to', `${h.baseUrl}/dci/dr/registry`, '--peer-id', ids.dr, '--peer-type', 'dr',
      '--filter', JSON.stringify({ location: { $eq: location } }), '--frequency', '*/2 * * * * ?',
      '--token-url', tokenUrl, '--client-id', fr.id, '--client-secret', fr.secret,
    );
    expect(succeeded(sub).stdout).toMatch(/HTTP 200 ACK/);
    const transactionId = /transaction_id (\S+):/.exec(sub.stdout)![1];

    const request = await eventually(async () => {
      const r = await h.deps.db('dci_outbound_requests').where({ registry: 'fr', transaction_id: transactionId }).first();
      return r?.subscription_codes?.length ? r : undefined;
    });
    expect(request).toMatchObject({ peer_id: ids.dr, action: 'subscribe', status: 'succ' });
    const code = request.subscription_codes[0];
    const [onSubscribe] = await received('on-subscribe');
    expect(onSubscribe).toMatchObject({ transaction_id: transactionId, status: 'succ' });
    expectValidCallback('dr', { signature: 'x', header: onSubscribe.header, message: onSubscribe.message } as any);

    // Two life events of matching records and one of another: the next firing notifies the two.
    const [fresh]: any[] = generateRecords('dr', 1, crypto.randomInt(0, 999_999)).map((r) => ({ ...r, location }));
    await upsertRecords(h.deps.db, 'dr', [fresh]);
    const beforeRow = await h.deps.db('registry_records').where({ registry: 'dr', identifier: (before.personal_details as { identifier: string }).identifier }).first();
    await updateRecord(h.deps.db, 'dr', beforeRow.id, { disability_level: 'Moderate' }, 'merge');
    await upsertRecords(h.deps.db, 'dr', [{ ...other, disability_level: 'Mild' }]);

    const notifies = await eventually(async () => {
      const rows = await received('notify');
      const ids = rows.flatMap((r) => r.message.notify_event.map((e: any) => e.data.reg_records.personal_details.identifier));
      return ids.length >= 2 ? { rows, ids } : undefined;
    });
    expect(notifies.rows.every((r) => r.subscription_code === code)).toBe(true);
    expect(notifies.ids.sort()).toEqual([(before.personal_details as any).identifier, (fresh.personal_details as any).identifier].sort());
    for (const r of notifies.rows) expectValidCallback('dr', { signature: 'x', header: r.header, message: r.message } as any);

    // The callbacks came with the DR's bearer token (the FR's paths record nothing without one): no attempt was refused with 401.
    // (The FR records a callback before the DR's delivery activity marks it delivered: wait for that.)
    const deliveries = await eventually(async () => {
      const rows = await h.deps.db('callback_deliveries').where('url', 'like', `${h.baseUrl}/dci/fr/registry/%`);
      return rows.filter((d) => d.status === 'delivered').length >= 2 ? rows : undefined;
    });
    const attempts = await h.deps.db('callback_attempts').whereIn('delivery_id', deliveries.map((d) => d.id));
    expect(attempts.filter((a) => a.status_code === 401)).toEqual([]);

    const unsub = await admin('dci', 'unsubscribe', '--as', 'fr', '--to', `${h.baseUrl}/dci/dr/registry`, '--peer-id', ids.dr, '--code', code);
    expect(succeeded(unsub).stdout).toMatch(/HTTP 200 ACK/);
    const [onUnsubscribe] = await eventually(async () => {
      const rows = await received('on-unsubscribe');
      return rows.length ? rows : undefined;
    });
    expect(onUnsubscribe.message).toMatchObject({ status: 'succ', subscription_status: [{ code, status: 'unsubscribe' }] });
    expect((await h.deps.db('dci_subscriptions').where({ code }).first()).status).toBe('unsubscribe');

    const sent = await admin('dci', 'sent', '--as', 'fr');
    expect(sent.stdout).toMatch(new RegExp(`subscribe\\s+to ${ids.dr.replace(/\./g, '\\.')}\\s+succ.*codes ${code}`));
    const got = await admin('dci', 'received', '--as', 'fr');
    expect(got.stdout).toMatch(/notify/);
  });
});
