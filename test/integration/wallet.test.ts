import crypto from 'node:crypto';
import { verifyStandardWebhook } from '../../src/services/callbacks/signing';
import { applePassTypeIdentifier } from '../../src/services/appleWallet';
import { applyWalletEvent, lockWalletPass } from '../../src/services/walletEvents';
import { FakeGoogleWallet } from '../helpers/googleWallet';
import { createTestOrg, eventually, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import type { ReceivedRequest } from '../helpers/receiver';

/**
 * Wallet events on real servers: Apple's PassKit web service and Google Wallet's signed callback
 * change the pass and send the organisation signed status callbacks through callbackDelivery.
 */
const google = new FakeGoogleWallet('3388000000022222222');
const json = (res: Response): Promise<any> => res.json();

describe('wallet events (real API, Temporal, PostgreSQL and callback receiver)', () => {
  let h: Harness;
  beforeAll(async () => {
    process.env.GOOGLE_WALLET_ISSUER_ID = google.issuerId;
    process.env.GOOGLE_WALLET_ROOT_KEYS = google.rootKeysJson();
    h = await startHarness();
  });
  afterAll(() => h.close());

  /** An organisation (with its own receiver path) and one distributed pass, with the token a real .pkpass would carry. */
  async function passFor(opts: { callback?: boolean } = {}) {
    const path = `/cb/${crypto.randomUUID()}`;
    const t = await createTestOrg(h.deps, { callbackUrl: opts.callback === false ? undefined : `${h.receiverUrl}${path}` });
    const token = await tokenFor(h.deps, t.org.id);
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } } }`, {
      i: { title: t.title, passDetails: [{ externalReferenceID: 'ref-1', dynamicFields: { membership_number: '1', membership_name: 'N' } }] },
    });
    const serialNumber: string = res.body.data.distributeIndividualPass.successList[0].serialNumber;
    const pass = await h.deps.db('passes').where({ serial_number: serialNumber }).first('id', 'authentication_token');
    const callbacks = () => h.receiver.requests.filter((r) => r.path === path);
    return { ...t, token, serialNumber, passId: pass.id as string, authToken: pass.authentication_token as string, passType: applePassTypeIdentifier(h.deps.config, t.org.id), callbacks };
  }

  const registration = (p: { passType: string; serialNumber: string }, device: string) => `${h.baseUrl}/v1/devices/${device}/registrations/${p.passType}/${p.serialNumber}`;
  const register = (p: { passType: string; serialNumber: string; authToken: string }, device: string, auth = `ApplePass ${p.authToken}`, body: unknown = { pushToken: `push-${device}` }) =>
    fetch(registration(p, device), { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(body) });
  const unregister = (p: { passType: string; serialNumber: string; authToken: string }, device: string) =>
    fetch(registration(p, device), { method: 'DELETE', headers: { authorization: `ApplePass ${p.authToken}` } });
  const googleCallback = (body: unknown) => fetch(`${h.baseUrl}/wallet/google/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const passState = (id: string) =>
    h.deps.db('passes').where({ id }).first('is_redeemed', 'redeemed_timestamp', 'device_os', 'registered', 'registered_timestamp', 'is_removed', 'removed_timestamp');
  const statuses = (reqs: ReceivedRequest[]) => reqs.map((r) => JSON.parse(r.body).status);

  /** Waits for `n` callbacks, then a little longer to be sure no more arrive. */
  async function exactlyCallbacks(p: { callbacks: () => ReceivedRequest[] }, n: number) {
    await h.receiver.waitFor(() => p.callbacks().length >= n);
    await new Promise((r) => setTimeout(r, 1500));
    return p.callbacks();
  }

  it('Apple: register, repeat, second device, unregister both, register again → Redeemed, Deregistered, Registered as signed callbacks', async () => {
    const p = await passFor();
    const first = await register(p, 'device-a');
    expect([first.status, await json(first)]).toEqual([201, { message: `device registered for pass ${p.serialNumber}` }]);
    expect((await register(p, 'device-a')).status).toBe(200); // repeated: nothing new
    expect((await register(p, 'device-b')).status).toBe(201); // still registered: no status change
    expect(await passState(p.passId)).toMatchObject({ is_redeemed: true, device_os: 'Apple', registered: true, redeemed_timestamp: expect.any(Date), registered_timestamp: expect.any(Date) });

    expect((await unregister(p, 'device-a')).status).toBe(200); // device-b still registered
    expect((await passState(p.passId)).registered).toBe(true);
    expect((await unregister(p, 'device-b')).status).toBe(200);
    expect((await unregister(p, 'device-b')).status).toBe(200); // idempotent
    expect((await passState(p.passId)).registered).toBe(false);
    expect((await register(p, 'device-b')).status).toBe(201);

    const cbs = await exactlyCallbacks(p, 3);
    expect(statuses(cbs)).toEqual(['Redeemed', 'Deregistered', 'Registered']);
    for (const [i, cb] of cbs.entries()) {
      expect(verifyStandardWebhook(p.org.webhook_secret, cb.headers, cb.body)).toBe(true);
      expect(JSON.parse(cb.body)).toEqual({ serialNumber: p.serialNumber, deviceOS: 'Apple', status: statuses(cbs)[i] });
      expect(cb.headers['webhook-id']).toBe(`msg_pass_${p.passId}_${statuses(cbs)[i]}_${i + 1}`);
    }
    // Delivered through the one mechanism: logged attempts, one callbackDelivery workflow per callback.
    const deliveries = await h.deps.db('callback_deliveries').where({ organisation_id: p.org.id }).orderBy('created_at');
    expect(deliveries.map((d) => [d.kind, d.status, d.attempts])).toEqual([['pass-status', 'delivered', 1], ['pass-status', 'delivered', 1], ['pass-status', 'delivered', 1]]);
    const run = await h.deps.temporal!.workflow.getHandle(deliveries[0].id).describe();
    expect([run.type, run.status.name]).toEqual(['callbackDelivery', 'COMPLETED']);

    // What the organisation sees through the API.
    const seen = await gql(h.baseUrl, p.token, `query($i: GetPassesByExternalRefIDRequest) { getPassesByExternalRefID(input: $i) { deviceOS isRedeemed registered isRemoved } }`, { i: { externalReferenceID: 'ref-1' } });
    expect(seen.body.data.getPassesByExternalRefID).toEqual([{ deviceOS: 'Apple', isRedeemed: true, registered: true, isRemoved: false }]);
  });

  it('Apple: a wrong or missing token, another pass type or an unknown serial is 401 and changes nothing; bad input names the field', async () => {
    const p = await passFor();
    const other = await passFor();
    const cases = [
      await register(p, 'device-x', ''),
      await register(p, 'device-x', `ApplePass ${other.authToken}`),
      await register(p, 'device-x', `Bearer ${p.authToken}`),
      await register({ ...p, passType: other.passType }, 'device-x'),
      await register({ ...p, serialNumber: '99999999999999' }, 'device-x'),
    ];
    for (const res of cases) expect([res.status, (await json(res)).error]).toEqual([401, 'UNAUTHENTICATED']);
    const noPush = await register(p, 'device-x', undefined, {});
    expect([noPush.status, (await json(noPush)).field]).toEqual([400, 'body.pushToken']);
    const badDevice = await register(p, 'bad%20device');
    expect([badDevice.status, (await json(badDevice)).field]).toEqual([400, 'params.deviceLibraryIdentifier']);
    expect((await fetch(registration(p, 'device-x'), { method: 'DELETE' })).status).toBe(401);

    expect(await passState(p.passId)).toMatchObject({ is_redeemed: false, registered: false, device_os: '' });
    expect(await h.deps.db('device_registrations').where({ pass_id: p.passId })).toEqual([]);
    expect(await h.deps.db('callback_deliveries').where({ organisation_id: p.org.id })).toEqual([]);
  });

  it('Apple: the device asks which passes changed since its tag (204 when none); devices can log', async () => {
    const p = await passFor();
    expect((await register(p, 'device-c')).status).toBe(201);
    const list = (since?: string) => fetch(`${h.baseUrl}/v1/devices/device-c/registrations/${p.passType}${since ? `?passesUpdatedSince=${since}` : ''}`);
    const all = await list();
    const body = await json(all);
    expect([all.status, body.serialNumbers]).toEqual([200, [p.serialNumber]]);
    expect((await list(body.lastUpdated)).status).toBe(204);

    const upd = await gql(h.baseUrl, p.token, `mutation($i: UpdatePassPayloadRequest) { updatePassPayload(input: $i) { message } }`, { i: { serialNumber: p.serialNumber, payload: 'new-payload' } });
    expect(upd.body.errors).toBeUndefined();
    const changed = await list(body.lastUpdated);
    const changedBody = await json(changed);
    expect([changed.status, changedBody.serialNumbers]).toEqual([200, [p.serialNumber]]);
    expect(BigInt(changedBody.lastUpdated) > BigInt(body.lastUpdated)).toBe(true);
    expect((await list(changedBody.lastUpdated)).status).toBe(204);

    expect((await fetch(`${h.baseUrl}/v1/devices/device-other/registrations/${p.passType}`)).status).toBe(204);
    const badTag = await list('yesterday');
    expect([badTag.status, (await json(badTag)).field]).toEqual([400, 'query.passesUpdatedSince']);

    const log = await fetch(`${h.baseUrl}/v1/log`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logs: ['[2026-01-01] Web service error for pass.io.steward.x'] }) });
    expect([log.status, await json(log)]).toEqual([200, { message: '1 line(s) logged' }]);
    const badLog = await fetch(`${h.baseUrl}/v1/log`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logs: 'x' }) });
    expect([badLog.status, (await json(badLog)).field]).toEqual([400, 'body.logs']);
  });

  it('Google: save → Redeemed, delete → Removed as signed callbacks; a re-delivered nonce changes nothing', async () => {
    const p = await passFor();
    const save = google.callback(p.serialNumber, 'save', { nonce: `n-${p.passId}` });
    const saved = await googleCallback(save);
    expect([saved.status, await json(saved)]).toEqual([200, { message: `save of pass ${p.serialNumber} recorded`, applied: true, status: 'Redeemed' }]);
    const again = await googleCallback(save);
    expect([again.status, (await json(again)).applied]).toEqual([200, false]);
    expect(await passState(p.passId)).toMatchObject({ is_redeemed: true, device_os: 'Google', is_removed: false, registered: false });

    const del = await googleCallback(google.callback(p.serialNumber, 'del'));
    expect([del.status, (await json(del)).status]).toEqual([200, 'Removed']);
    expect(await passState(p.passId)).toMatchObject({ is_removed: true, removed_timestamp: expect.any(Date) });
    expect((await json(await googleCallback(google.callback(p.serialNumber, 'del')))).status).toBeNull();

    const cbs = await exactlyCallbacks(p, 2);
    expect(cbs.map((c) => JSON.parse(c.body))).toEqual([
      { serialNumber: p.serialNumber, deviceOS: 'Google', status: 'Redeemed' },
      { serialNumber: p.serialNumber, deviceOS: 'Google', status: 'Removed' },
    ]);
    for (const cb of cbs) expect(verifyStandardWebhook(p.org.webhook_secret, cb.headers, cb.body)).toBe(true);
  });

  it('Google: a bad signature, an expired message or key, an unknown object or a malformed body is refused with nothing changed', async () => {
    const p = await passFor();
    const forger = new FakeGoogleWallet(google.issuerId);
    const refusals: [unknown, number, string][] = [
      [forger.callback(p.serialNumber, 'save'), 401, 'body.intermediateSigningKey.signatures'],
      [google.callback(p.serialNumber, 'save', { recipientId: '1234' }), 401, 'body.signature'],
      [google.callback(p.serialNumber, 'save', { expTimeMillis: Date.now() - 1 }), 401, 'body.signedMessage.expTimeMillis'],
      [google.callback(p.serialNumber, 'save', { keyExpiration: Date.now() - 1 }), 401, 'body.intermediateSigningKey.signedKey'],
      [google.callback('99999999999999', 'save'), 404, 'body.signedMessage.objectId'],
      [google.callback(p.serialNumber, 'save', { objectId: `777.${p.serialNumber}` }), 404, 'body.signedMessage.objectId'],
      [{ ...google.callback(p.serialNumber, 'save'), signature: undefined }, 400, 'body.signature'],
    ];
    for (const [body, status, field] of refusals) {
      const res = await googleCallback(body);
      const answer = await json(res);
      expect([res.status, answer.field]).toEqual([status, field]);
      expect(answer.message).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}: `));
    }
    expect(await passState(p.passId)).toMatchObject({ is_redeemed: false, device_os: '', is_removed: false });
    expect(await h.deps.db('pass_wallet_events').where({ pass_id: p.passId })).toEqual([]);
    expect(await h.deps.db('callback_deliveries').where({ organisation_id: p.org.id })).toEqual([]);
  });

  it('a status callback recorded but never started (Temporal was unreachable) is started by the next request about the pass', async () => {
    const p = await passFor();
    // The state change and its callback row commit, then the workflow start "fails": nothing dispatched.
    await h.deps.db.transaction(async (trx) => applyWalletEvent(trx, (await lockWalletPass(trx, p.serialNumber))!, { kind: 'googleDeleted' }));
    expect((await h.deps.db('callback_deliveries').where({ organisation_id: p.org.id }).first()).status).toBe('pending');
    // The device's next call (here a first registration) starts it along with its own.
    expect((await register(p, 'device-e')).status).toBe(201);
    const cbs = await exactlyCallbacks(p, 2);
    // Two workflows deliver concurrently, so arrival order is not guaranteed; the IDs say the order.
    expect(cbs.map((c) => c.headers['webhook-id']).sort()).toEqual([`msg_pass_${p.passId}_Redeemed_2`, `msg_pass_${p.passId}_Removed_1`]);
    for (const cb of cbs) expect(verifyStandardWebhook(p.org.webhook_secret, cb.headers, cb.body)).toBe(true);
  });

  it('an organisation without a callback URL: the state and event are recorded, nothing is sent', async () => {
    const p = await passFor({ callback: false });
    expect((await register(p, 'device-d')).status).toBe(201);
    expect((await googleCallback(google.callback(p.serialNumber, 'del'))).status).toBe(200);
    expect(await passState(p.passId)).toMatchObject({ is_redeemed: true, registered: true, is_removed: true });
    const events = await h.deps.db('pass_wallet_events').where({ pass_id: p.passId }).orderBy('sequence');
    expect(events.map((e) => [e.sequence, e.device_os, e.status, e.delivery_id])).toEqual([[1, 'Apple', 'Redeemed', null], [2, 'Google', 'Removed', null]]);
    expect(await h.deps.db('callback_deliveries').where({ organisation_id: p.org.id })).toEqual([]);
    await eventually(async () => ((await h.deps.db('audit_events').where({ organisation_id: p.org.id, category: 'Passes' })).length === 2 ? true : undefined));
  });
});
