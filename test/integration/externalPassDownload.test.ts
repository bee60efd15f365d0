import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

/** externalPassDownload and the public pass download link. */
describe('pass download', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  const DOWNLOAD = `mutation($input: ExternalPassDownloadRequest) { externalPassDownload(input: $input) { message } }`;

  async function distributed(window: { startTime?: string; endTime?: string } = {}) {
    const t = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, t.org.id);
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber passApiKey passDownloadLink } } }`, {
      i: { title: t.title, ...window, passDetails: [{ externalReferenceID: 'ext-1', dynamicFields: { membership_number: '1234567890001', membership_name: 'Ann Example' } }] },
    });
    expect(res.body.errors).toBeUndefined();
    return { ...t, token, pass: res.body.data.distributeIndividualPass.successList[0] as { serialNumber: string; passApiKey: string; passDownloadLink: string } };
  }

  it('returns a download URL per wallet that leads to the pass, without personal data', async () => {
    const { token, pass, title, org } = await distributed();
    for (const deviceOS of ['Apple', 'Google']) {
      const res = await gql(h.baseUrl, token, DOWNLOAD, { input: { deviceOS, encryptedDetails: pass.passApiKey } });
      expect(res.body.errors).toBeUndefined();
      const url = res.body.data.externalPassDownload.message as string;
      expect(url).toBe(`${pass.passDownloadLink}&deviceOS=${deviceOS}`);
      const page = await fetch(url.replace(h.deps.config.publicBaseUrl, h.baseUrl), { headers: { accept: 'application/json' } });
      expect(page.status).toBe(200);
      const body = await page.json();
      expect(body).toEqual({
        serialNumber: pass.serialNumber, passDesignTitle: title, issuingOrganisation: org.name, status: 'Available', reason: null,
        availableFrom: null, availableUntil: null, deviceOS, wallets: [deviceOS],
      });
      expect(JSON.stringify(body)).not.toMatch(/Ann Example|1234567890001|ext-1/);
    }
    const html = await fetch(`${h.baseUrl}/pass-download?details=${pass.passApiKey}`, { headers: { accept: 'text/html' } });
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toContain('Add it to Apple Wallet or Google Wallet');
  });

  it('rejects a tampered key, an unknown wallet and another organisation\'s pass clearly', async () => {
    const { token, pass } = await distributed();
    const flipped = pass.passApiKey.slice(0, -3) + (pass.passApiKey.slice(-3) === 'AAA' ? 'BBB' : 'AAA');
    const tampered = await gql(h.baseUrl, token, DOWNLOAD, { input: { deviceOS: 'Apple', encryptedDetails: flipped } });
    expect(tampered.body.errors?.[0]).toMatchObject({
      message: 'input.encryptedDetails: the encrypted pass details are invalid or have been tampered with',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.encryptedDetails' },
    });
    const windows = await gql(h.baseUrl, token, DOWNLOAD, { input: { deviceOS: 'Windows', encryptedDetails: pass.passApiKey } });
    expect(windows.body.errors?.[0]).toMatchObject({ message: 'input.deviceOS: must be Apple or Google', extensions: { code: 'BAD_USER_INPUT' } });

    const other = await createTestOrg(h.deps);
    const otherToken = await tokenFor(h.deps, other.org.id);
    const foreign = await gql(h.baseUrl, otherToken, DOWNLOAD, { input: { deviceOS: 'Apple', encryptedDetails: pass.passApiKey } });
    expect(foreign.body.errors?.[0]).toMatchObject({ message: `pass ${pass.serialNumber} not found`, extensions: { code: 'NOT_FOUND' } });

    const page = await fetch(`${h.baseUrl}/pass-download?details=${flipped}`);
    expect(page.status).toBe(400);
    expect(await page.json()).toMatchObject({ error: 'BAD_USER_INPUT', field: 'query.details' });
    const missing = await fetch(`${h.baseUrl}/pass-download`);
    expect(await missing.json()).toMatchObject({ error: 'BAD_USER_INPUT', field: 'query.details', message: 'query.details: is required' });
  });

  it('refuses invalidated passes and links outside their window', async () => {
    const { token, pass } = await distributed();
    await h.deps.db('passes').where({ serial_number: pass.serialNumber }).update({ is_expired: true, expired_timestamp: new Date() });
    const res = await gql(h.baseUrl, token, DOWNLOAD, { input: { deviceOS: 'Google', encryptedDetails: pass.passApiKey } });
    expect(res.body.errors?.[0]).toMatchObject({ message: 'the pass has been invalidated and can no longer be downloaded', extensions: { code: 'FORBIDDEN' } });
    const page = await (await fetch(`${h.baseUrl}/pass-download?details=${pass.passApiKey}`)).json();
    expect(page).toMatchObject({ status: 'Invalidated', reason: 'the pass has been invalidated and can no longer be downloaded' });

    const later = new Date(Date.now() + 86_400_000).toISOString();
    const future = await distributed({ startTime: later });
    const early = await gql(h.baseUrl, future.token, DOWNLOAD, { input: { deviceOS: 'Apple', encryptedDetails: future.pass.passApiKey } });
    expect(early.body.errors?.[0].message).toBe(`the pass cannot be downloaded before ${later}`);
  });
});
