import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import { manifestOf, unzip } from '../helpers/pkpass';

/**
 * The pass download page in a real headless browser (Debian's chromium, driven by playwright-core):
 * both buttons show, "Add to Apple Wallet" downloads the signed .pkpass, "Save to Google Wallet"
 * leads to Google's save URL (intercepted: nothing leaves the machine). The screenshot is docs/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// docs/wallet-download-page.png is this test's screenshot: UPDATE_DOCS_SCREENSHOTS=1 rewrites it, otherwise it goes to a temporary file.
const SCREENSHOT = process.env.UPDATE_DOCS_SCREENSHOTS
  ? path.join(__dirname, '..', '..', 'docs', 'wallet-download-page.png')
  : path.join(os.tmpdir(), `steward-wallet-download-page-${process.pid}.png`);

describe('pass download page in headless Chromium', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });
  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  it('shows both buttons; the Apple button downloads the .pkpass, the Google button goes to the save link', async () => {
    const t = await createTestOrg(h.deps, { title: 'Gym Membership' });
    const token = await tokenFor(h.deps, t.org.id);
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber passDownloadLink } } }`, {
      i: { title: t.title, passDetails: [{ externalReferenceID: 'ext-1', dynamicFields: { membership_number: '1234567890001', membership_name: 'Ann Example' } }] },
    });
    const { serialNumber, passDownloadLink } = res.body.data.distributeIndividualPass.successList[0];
    const link = passDownloadLink.replace(h.deps.config.publicBaseUrl, h.baseUrl);

    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 800, height: 600 } });
    const page = await context.newPage();
    const external: string[] = [];
    await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => {
      external.push(route.request().url());
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<p>Google Wallet (stand-in)</p>' });
    });
    await page.goto(link);
    const apple = page.getByRole('link', { name: 'Add to Apple Wallet' });
    const google = page.getByRole('link', { name: 'Save to Google Wallet' });
    await expect(apple.isVisible()).resolves.toBe(true);
    await expect(google.isVisible()).resolves.toBe(true);
    await expect(page.getByRole('heading', { name: 'Gym Membership' }).isVisible()).resolves.toBe(true);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(5000);
    expect(external).toEqual([]); // the page loads nothing from elsewhere (no CDN)

    const [download] = await Promise.all([page.waitForEvent('download'), apple.click()]);
    expect(download.suggestedFilename()).toBe(`${serialNumber}.pkpass`);
    const files = await unzip(fs.readFileSync((await download.path())!));
    expect(JSON.parse(files['manifest.json'].toString())).toEqual(manifestOf(files));
    expect(JSON.parse(files['pass.json'].toString())).toMatchObject({ serialNumber, formatVersion: 1 });

    await google.click();
    await page.waitForURL(/pay\.google\.com\/gp\/v\/save\//);
    expect(external).toEqual([expect.stringMatching(/^https:\/\/pay\.google\.com\/gp\/v\/save\/[\w-]+\.[\w-]+\.[\w-]+$/)]);
    await context.close();
  });
});
