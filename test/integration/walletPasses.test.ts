import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jwtVerify, decodeJwt } from 'jose';
import { googleServiceAccount } from '../../src/wallet/google/serviceAccount';
import { appleSigning } from '../../src/wallet/apple/signing';
import { applePassTypeIdentifier } from '../../src/services/appleWallet';
import { adminCli } from '../helpers/adminCli';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import { manifestOf, opensslVerify, sha1, unzip } from '../helpers/pkpass';

/**
 * Real passes on the real API: the download link serves a signed .pkpass (verified by a real
 * `openssl smime -verify` against the development CA), a Google save link whose JWT verifies with the
 * service account's public key, and the PassKit web service's "latest pass".
 */
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36';

describe('wallet passes (real API and PostgreSQL, openssl as a process)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  async function distributed(opts: { beacons?: number; locations?: number } = {}) {
    const t = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, t.org.id);
    const meta = { organisation_id: t.org.id, creator: 'test', modifier: 'test' };
    const beacons = Array.from({ length: opts.beacons ?? 0 }, (_, i) => `beacon-${i}`);
    const locations = Array.from({ length: opts.locations ?? 0 }, (_, i) => `place-${i}`);
    if (beacons.length) await h.deps.db('beacons').insert(beacons.map((title, i) => ({ ...meta, title, proximity_uuid: 'e2c56db5-dffb-48d2-b060-d0f5a71096e0', major: i, minor: 7, message_text: `near ${title}` })));
    if (locations.length) await h.deps.db('locations').insert(locations.map((title, i) => ({ ...meta, title, latitude: 51.5 + i / 100, longitude: -0.12, message_text: `at ${title}` })));
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber passApiKey passDownloadLink } failureList { error } } }`, {
      i: { title: t.title, passDetails: [{ externalReferenceID: 'ext-1', payload: 'MEMBER-0001', beacons, locations, dynamicFields: { membership_number: '1234567890001', membership_name: 'Ann Example' } }] },
    });
    expect(res.body.errors).toBeUndefined();
    const pass = res.body.data.distributeIndividualPass.successList[0] as { serialNumber: string; passApiKey: string; passDownloadLink: string };
    const row = await h.deps.db('passes').where({ serial_number: pass.serialNumber }).first('id', 'authentication_token');
    const link = pass.passDownloadLink.replace(h.deps.config.publicBaseUrl, h.baseUrl);
    return { ...t, token, pass, link, passId: row.id as string, authToken: row.authentication_token as string, passType: applePassTypeIdentifier(h.deps.config, t.org.id) };
  }

  const devCa = () => appleSigning(h.deps.config).devCaCertPem!;

  it('the link serves a signed .pkpass whose manifest and signature verify, and tampering breaks it', async () => {
    const p = await distributed({ beacons: 2, locations: 10 });
    const res = await fetch(`${p.link}&deviceOS=Apple`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.pkpass');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${p.pass.serialNumber}.pkpass"`);
    const files = await unzip(Buffer.from(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(['icon.png', 'icon@2x.png', 'icon@3x.png', 'manifest.json', 'pass.json', 'signature']);
    // The manifest holds each file's SHA-1, and the signature over it verifies against the dev CA.
    expect(JSON.parse(files['manifest.json'].toString())).toEqual(manifestOf(files));
    const verified = opensslVerify(files.signature, files['manifest.json'], devCa());
    expect(verified).toMatchObject({ ok: true, output: expect.stringContaining('Verification successful') });

    const pass = JSON.parse(files['pass.json'].toString());
    expect(pass).toMatchObject({
      formatVersion: 1,
      passTypeIdentifier: p.passType,
      teamIdentifier: 'STEWARDDEV',
      serialNumber: p.pass.serialNumber,
      organizationName: p.org.name,
      description: p.title,
      webServiceURL: h.deps.config.publicBaseUrl,
      authenticationToken: p.authToken,
      barcodes: [{ format: 'PKBarcodeFormatQR', message: 'MEMBER-0001', messageEncoding: 'iso-8859-1', altText: p.pass.serialNumber }],
      storeCard: {
        headerFields: [{ key: 'card_title', label: '', value: p.title }],
        primaryFields: [{ key: 'membership_number', label: 'Membership Number', value: '1234567890001' }, { key: 'membership_name', label: 'Membership Name', value: 'Ann Example' }],
      },
    });
    expect(pass.authenticationToken.length).toBeGreaterThanOrEqual(16);
    expect(pass.voided).toBeUndefined();
    expect(pass.locations).toHaveLength(10); // Apple's limit (distribution refuses more)
    expect(pass.locations[0]).toEqual({ latitude: 51.5, longitude: -0.12, relevantText: 'at place-0' });
    expect(pass.beacons).toEqual([
      { proximityUUID: 'E2C56DB5-DFFB-48D2-B060-D0F5A71096E0', major: 0, minor: 7, relevantText: 'near beacon-0' },
      { proximityUUID: 'E2C56DB5-DFFB-48D2-B060-D0F5A71096E0', major: 1, minor: 7, relevantText: 'near beacon-1' },
    ]);
    // The design has no icon: the shipped default.
    expect(files['icon.png'].equals(fs.readFileSync(path.join(__dirname, '..', '..', 'assets', 'wallet', 'icon.png')))).toBe(true);

    // Tampering: a changed pass.json no longer matches the manifest; a manifest rewritten to match is no longer signed.
    const tampered = Buffer.from(files['pass.json'].toString().replace('Ann Example', 'Eve Example'));
    expect(sha1(tampered)).not.toBe(JSON.parse(files['manifest.json'].toString())['pass.json']);
    const forgedManifest = Buffer.from(JSON.stringify(manifestOf({ ...files, 'pass.json': tampered })));
    const forged = opensslVerify(files.signature, forgedManifest, devCa());
    expect(forged.ok).toBe(false);
    expect(forged.output).toMatch(/digest failure|bad signature|verification failure/i);
  });

  it('an iPhone gets the .pkpass, an Android phone the Google save link whose JWT verifies with the service account key', async () => {
    const p = await distributed();
    const apple = await fetch(p.link, { headers: { 'user-agent': IPHONE } });
    expect(apple.headers.get('content-type')).toBe('application/vnd.apple.pkpass');

    for (const req of [fetch(p.link, { headers: { 'user-agent': ANDROID }, redirect: 'manual' }), fetch(`${p.link}&deviceOS=Google`, { redirect: 'manual' })]) {
      const res = await req;
      expect(res.status).toBe(302);
      const location = res.headers.get('location')!;
      expect(location).toMatch(/^https:\/\/pay\.google\.com\/gp\/v\/save\/[\w-]+\.[\w-]+\.[\w-]+$/);
      const jwt = location.split('/').pop()!;
      const account = googleServiceAccount(h.deps.config)!;
      const { payload, protectedHeader } = await jwtVerify(jwt, crypto.createPublicKey(account.privateKey), { audience: 'google', issuer: account.clientEmail });
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload).toMatchObject({ typ: 'savetowallet', origins: [new URL(h.deps.config.publicBaseUrl).origin] });
      const object = (payload as any).payload.genericObjects[0];
      expect(object).toMatchObject({
        id: `${account.issuerId}.${p.pass.serialNumber}`,
        classId: `${account.issuerId}.${p.design.id}`,
        state: 'ACTIVE',
        barcode: { type: 'QR_CODE', value: 'MEMBER-0001', alternateText: p.pass.serialNumber },
        textModulesData: [{ id: 'membership_number', header: 'Membership Number', body: '1234567890001' }, { id: 'membership_name', header: 'Membership Name', body: 'Ann Example' }],
        validTimeInterval: { start: { date: expect.any(String) } },
      });
      expect((payload as any).payload.genericClasses).toEqual([{ id: `${account.issuerId}.${p.design.id}` }]);
    }
    // A wrong key does not verify it.
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const location = (await fetch(`${p.link}&deviceOS=Google`, { redirect: 'manual' })).headers.get('location')!;
    await expect(jwtVerify(location.split('/').pop()!, other)).rejects.toThrow(/signature/);
    expect(decodeJwt(location.split('/').pop()!).aud).toBe('google');
    expect((await h.deps.db('passes').where({ id: p.passId }).first('google_object_issued')).google_object_issued).toBe(true);
  });

  it('design images set with `admin design update --icon/--logo/--strip` (real CLI) replace the default icon; bad files are named', async () => {
    const p = await distributed();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-images-'));
    const assets = path.join(__dirname, '..', '..', 'assets', 'wallet');
    fs.copyFileSync(path.join(assets, 'icon@3x.png'), path.join(dir, 'brand.png'));
    fs.copyFileSync(path.join(assets, 'icon@2x.png'), path.join(dir, 'brand@2x.png'));
    fs.writeFileSync(path.join(dir, 'not-a.png'), 'GIF89a...');
    const admin = adminCli({ DATABASE_URL: h.deps.config.databaseUrl! });
    const bad = await admin('design', 'update', '--org', p.org.id, '--title', p.title, '--logo', path.join(dir, 'not-a.png'));
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--logo: must be a PNG image') });
    const ok = await admin('design', 'update', '--org', p.org.id, '--title', p.title, '--icon', path.join(dir, 'brand.png'), '--strip', path.join(dir, 'brand.png'));
    expect(ok).toMatchObject({ code: 0, stdout: `Updated pass design "${p.title}" of ${p.org.id}: images icon, icon@2x, strip, strip@2x\n` });

    const files = await unzip(Buffer.from(await (await fetch(`${p.link}&deviceOS=Apple`)).arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(['icon.png', 'icon@2x.png', 'manifest.json', 'pass.json', 'signature', 'strip.png', 'strip@2x.png']);
    expect(files['icon.png'].equals(fs.readFileSync(path.join(dir, 'brand.png')))).toBe(true);
    expect(files['strip@2x.png'].equals(fs.readFileSync(path.join(dir, 'brand@2x.png')))).toBe(true);
    expect(opensslVerify(files.signature, files['manifest.json'], devCa()).ok).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the web service serves the latest pass with the ApplePass token: Last-Modified, 304, 401, 404', async () => {
    const p = await distributed();
    const url = `${h.baseUrl}/v1/passes/${p.passType}/${p.pass.serialNumber}`;
    const ok = await fetch(url, { headers: { authorization: `ApplePass ${p.authToken}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/vnd.apple.pkpass');
    const lastModified = ok.headers.get('last-modified')!;
    expect(new Date(lastModified).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const files = await unzip(Buffer.from(await ok.arrayBuffer()));
    expect(opensslVerify(files.signature, files['manifest.json'], devCa()).ok).toBe(true);

    const same = await fetch(url, { headers: { authorization: `ApplePass ${p.authToken}`, 'if-modified-since': lastModified } });
    expect(same.status).toBe(304);
    const older = await fetch(url, { headers: { authorization: `ApplePass ${p.authToken}`, 'if-modified-since': new Date(Date.now() - 3_600_000).toUTCString() } });
    expect(older.status).toBe(200);

    for (const authorization of [undefined, 'ApplePass wrong-token-wrong-token', `Bearer ${p.authToken}`]) {
      const res = await fetch(url, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'UNAUTHENTICATED', field: 'headers.authorization' });
    }
    expect((await fetch(`${h.baseUrl}/v1/passes/${p.passType}/99999999999999`, { headers: { authorization: `ApplePass ${p.authToken}` } })).status).toBe(404);
    expect((await fetch(`${h.baseUrl}/v1/passes/pass.io.steward.other-org/${p.pass.serialNumber}`, { headers: { authorization: `ApplePass ${p.authToken}` } })).status).toBe(404);

    // A change moves the update tag: the device's copy is no longer current.
    await new Promise((r) => setTimeout(r, 1100));
    const upd = await gql(h.baseUrl, p.token, `mutation($i: UpdatePassPayloadRequest) { updatePassPayload(input: $i) { message } }`, { i: { serialNumber: p.pass.serialNumber, payload: 'MEMBER-0002' } });
    expect(upd.body.errors).toBeUndefined();
    const changed = await fetch(url, { headers: { authorization: `ApplePass ${p.authToken}`, 'if-modified-since': lastModified } });
    expect(changed.status).toBe(200);
    const pass = JSON.parse((await unzip(Buffer.from(await changed.arrayBuffer())))['pass.json'].toString());
    expect(pass.barcodes[0].message).toBe('MEMBER-0002');
  });

  it('a browser gets the page with both buttons; an unavailable pass keeps its reason', async () => {
    const p = await distributed();
    const page = await fetch(p.link, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(html).toContain('Add it to Apple Wallet or Google Wallet');
    expect(html).toContain('>Add to Apple Wallet</a>');
    expect(html).toContain('>Save to Google Wallet</a>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!pay\.google)/);

    await h.deps.db('passes').where({ id: p.passId }).update({ is_expired: true, expired_timestamp: new Date() });
    const apple = await fetch(`${p.link}&deviceOS=Apple`, { headers: { accept: 'text/html' } });
    expect(apple.headers.get('content-type')).toMatch(/text\/html/);
    const text = await apple.text();
    expect(text).toContain('the pass has been invalidated and can no longer be downloaded');
    expect(text).not.toContain('Add to Apple Wallet');
  });
});
