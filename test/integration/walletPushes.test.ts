import crypto from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { applePassTypeIdentifier } from '../../src/services/appleWallet';
import { ApnsTestServer } from '../helpers/apnsServer';
import { GoogleWalletApiServer } from '../helpers/googleWalletApi';
import { createTestOrg, eventually, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import { unzip } from '../helpers/pkpass';

/**
 * Updates reach devices: a real HTTP/2 TLS server stands at APNS_URL (its self-signed certificate
 * trusted through APNS_CA) and a real HTTP server at GOOGLE_WALLET_API_URL / GOOGLE_OAUTH_TOKEN_URL;
 * the invalidation workflow pushes through them when its expiry timer fires.
 */
const apnsKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const googleKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ISSUER = '3388000000033333333';
const apns = new ApnsTestServer();
const googleApi = new GoogleWalletApiServer(googleKey.publicKey);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('wallet update pushes (APNs HTTP/2 and Google Wallet API servers in the test)', () => {
  let h: Harness;
  const saved = { ...process.env };
  beforeAll(async () => {
    await apns.start();
    await googleApi.start();
    Object.assign(process.env, {
      APNS_URL: apns.url,
      APNS_CA: apns.tls.certPem,
      APNS_KEY: apnsKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      APNS_KEY_ID: 'KEYID12345',
      APNS_TEAM_ID: 'TEAMID1234',
      GOOGLE_WALLET_ISSUER_ID: ISSUER,
      GOOGLE_WALLET_SERVICE_ACCOUNT: JSON.stringify({
        type: 'service_account',
        client_email: 'wallet@steward-test.iam.gserviceaccount.com',
        private_key: googleKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        private_key_id: 'test-key-1',
      }),
      GOOGLE_WALLET_API_URL: googleApi.apiUrl,
      GOOGLE_OAUTH_TOKEN_URL: googleApi.tokenUrl,
    });
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
    await apns.close();
    await googleApi.close();
    process.env = saved;
  });

  async function passOnDevices(devices: string[]) {
    const t = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, t.org.id);
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber passDownloadLink } } }`, {
      i: { title: t.title, passDetails: [{ externalReferenceID: 'ext-1', dynamicFields: { membership_number: '1', membership_name: 'N' } }] },
    });
    const { serialNumber, passDownloadLink } = res.body.data.distributeIndividualPass.successList[0];
    const row = await h.deps.db('passes').where({ serial_number: serialNumber }).first('id', 'authentication_token');
    const passType = applePassTypeIdentifier(h.deps.config, t.org.id);
    const pushTokens: Record<string, string> = {};
    for (const device of devices) {
      pushTokens[device] = crypto.randomBytes(32).toString('hex');
      const r = await fetch(`${h.baseUrl}/v1/devices/${device}/registrations/${passType}/${serialNumber}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `ApplePass ${row.authentication_token}` },
        body: JSON.stringify({ pushToken: pushTokens[device] }),
      });
      expect(r.status).toBe(201);
    }
    return { ...t, token, serialNumber, passType, passId: row.id as string, authToken: row.authentication_token as string, pushTokens, link: passDownloadLink.replace(h.deps.config.publicBaseUrl, h.baseUrl) as string };
  }

  it('invalidation with an expiry ahead: when the timer fires, one push per device, the device fetches the voided pass; Google gets EXPIRED', async () => {
    const p = await passOnDevices(['device-a']);
    const token = p.pushTokens['device-a'];
    // The Google save link hands out the object: its changes now go to Google too.
    expect((await fetch(`${p.link}&deviceOS=Google`, { redirect: 'manual' })).status).toBe(302);
    const registrations = (since?: string) =>
      fetch(`${h.baseUrl}/v1/devices/device-a/registrations/${p.passType}${since ? `?passesUpdatedSince=${since}` : ''}`);
    const { lastUpdated: before } = (await (await registrations()).json()) as { lastUpdated: string };
    expect((await registrations(before)).status).toBe(204);

    const expiryTime = new Date(Date.now() + 6000);
    const inv = await gql(h.baseUrl, p.token, `mutation($i: InvalidationRequest) { invalidateIndividualPass(input: $i) { successList failureList { error } } }`, {
      i: { serialNumbers: [p.serialNumber], expiryTime: expiryTime.toISOString() },
    });
    expect(inv.body.errors).toBeUndefined();
    // Scheduling sets the pass's expirationDate: that change is pushed at once.
    await eventually(async () => (apns.pushesTo(token).length >= 1 ? true : undefined), 20_000);
    expect(Date.now()).toBeLessThan(expiryTime.getTime());
    expect(apns.pushesTo(token)).toHaveLength(1);

    // When the timer fires: exactly one more push for the device.
    await eventually(async () => (apns.pushesTo(token).some((r) => r.at >= expiryTime.getTime()) ? true : undefined), 40_000);
    await sleep(2500);
    const afterExpiry = apns.pushesTo(token).filter((r) => r.at >= expiryTime.getTime());
    expect(afterExpiry).toHaveLength(1);
    const push = afterExpiry[0];
    expect(push).toMatchObject({ method: 'POST', path: `/3/device/${token}`, body: '{}' });
    expect(push.headers['apns-topic']).toBe(p.passType);
    const jwt = String(push.headers.authorization).replace(/^bearer /, '');
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', kid: 'KEYID12345' });
    const { payload } = await jwtVerify(jwt, apnsKey.publicKey, { issuer: 'TEAMID1234', algorithms: ['ES256'] });
    expect(payload.iat).toBeGreaterThan(Date.now() / 1000 - 3600);

    // The device asks what changed, then fetches the pass: voided, with its expiration date.
    const changed = await registrations(before);
    expect(changed.status).toBe(200);
    const list = (await changed.json()) as { serialNumbers: string[]; lastUpdated: string };
    expect(list.serialNumbers).toEqual([p.serialNumber]);
    expect((await registrations(list.lastUpdated)).status).toBe(204);
    const latest = await fetch(`${h.baseUrl}/v1/passes/${p.passType}/${p.serialNumber}`, { headers: { authorization: `ApplePass ${p.authToken}` } });
    const pass = JSON.parse((await unzip(Buffer.from(await latest.arrayBuffer())))['pass.json'].toString());
    expect(pass).toMatchObject({ voided: true, expirationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.000)?Z$/) });

    // Google: the object was PATCHed to EXPIRED with a bearer token from the service account.
    const objectId = `${ISSUER}.${p.serialNumber}`;
    await eventually(async () => (googleApi.patches.some((x) => x.objectId === objectId && x.body.state === 'EXPIRED') ? true : undefined), 20_000);
    expect(googleApi.tokenRequests[0].assertionClaims).toMatchObject({ iss: 'wallet@steward-test.iam.gserviceaccount.com', scope: 'https://www.googleapis.com/auth/wallet_object.issuer' });
    expect(await h.deps.db('wallet_push_queue').where({ pass_id: p.passId }).first()).toBeUndefined();
  });

  it('a 410 removes that registration (Deregistered when it was the last); 5xx answers are retried with backoff', async () => {
    const p = await passOnDevices(['device-gone', 'device-flaky']);
    apns.answers.set(p.pushTokens['device-gone'], [410]);
    apns.answers.set(p.pushTokens['device-flaky'], [500, 503]);
    const upd = await gql(h.baseUrl, p.token, `mutation($i: UpdatePassPayloadRequest) { updatePassPayload(input: $i) { message } }`, { i: { serialNumber: p.serialNumber, payload: 'NEW-PAYLOAD' } });
    expect(upd.body.errors).toBeUndefined();

    await eventually(async () => (apns.pushesTo(p.pushTokens['device-flaky']).length >= 3 ? true : undefined), 30_000);
    await eventually(async () => ((await h.deps.db('wallet_push_queue').where({ pass_id: p.passId }).first()) ? undefined : true), 20_000);
    expect(apns.pushesTo(p.pushTokens['device-gone'])).toHaveLength(1);
    const flaky = apns.pushesTo(p.pushTokens['device-flaky']);
    expect(flaky).toHaveLength(3);
    expect(flaky[2].at - flaky[0].at).toBeGreaterThanOrEqual(700); // 0.25 s then 0.5 s apart, at least
    const left = await h.deps.db('device_registrations').where({ pass_id: p.passId }).pluck('device_library_identifier');
    expect(left).toEqual(['device-flaky']);

    // Unchanged passes are not pushed again.
    await sleep(1500);
    expect(apns.pushesTo(p.pushTokens['device-flaky'])).toHaveLength(3);
  });
});
