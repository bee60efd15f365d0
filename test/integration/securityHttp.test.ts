import { codecAuthToken } from '../../src/api/http/codec';
import { RATE_LIMITS } from '../../src/api/http/rateLimits';
import { Harness, startHarness } from '../helpers/harness';

/** Security findings on the HTTP edge: OAuth Basic credentials (10), rate limits (6), codec token (8). */
describe('security of the HTTP edge', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  const token = (headers: Record<string, string>, body = 'grant_type=client_credentials') =>
    fetch(`${h.baseUrl}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

  describe('OAuth Basic credentials with a stray % (finding 10)', () => {
    it.each(['%:secret', 'client:%', 'cli%zzent:secret', 'client:sec%E0%A4%A'])('"%s" is 401 invalid_client, not 500', async (cred) => {
      const res = await token({ authorization: basic(cred) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'invalid_client', error_description: expect.stringMatching(/Basic credentials/) });
    });
  });
  describe('rate limits and auth before big bodies (finding 6)', () => {
    /** Sends until the first 429 (at most `max` requests); returns the statuses and the 429 response. */
    async function until429(send: (i: number) => Promise<Response>, max: number) {
      const statuses: number[] = [];
      for (let i = 0; i < max; i++) {
        const res = await send(i);
        statuses.push(res.status);
        if (res.status === 429) return { statuses, res };
        await res.arrayBuffer();
      }
      return { statuses, res: undefined };
    }

    it(`/oauth/token: at most ${RATE_LIMITS.oauthPerClient.limit} attempts per client_id, then 429 in OAuth's error shape`, async () => {
      const { statuses, res } = await until429(() => token({ authorization: basic('cli_guessed:wrong-secret') }), 20);
      expect(statuses.slice(0, -1).every((s) => s === 401)).toBe(true);
      expect(statuses.length).toBe(RATE_LIMITS.oauthPerClient.limit + 1);
      expect(res!.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await res!.json()).toMatchObject({ error: 'too_many_requests', error_description: expect.stringMatching(/from this client: at most 10 per 60 s/) });
    });

    it(`/oauth/token: at most ${RATE_LIMITS.oauthPerAddress.limit} attempts per address over all clients`, async () => {
      const { statuses, res } = await until429((i) => token({ authorization: basic(`cli_${i}:wrong`) }), 60);
      expect(res).toBeDefined();
      expect(statuses.length).toBeLessThanOrEqual(RATE_LIMITS.oauthPerAddress.limit + 1);
      expect(await res!.json()).toMatchObject({ error: 'too_many_requests', error_description: expect.stringMatching(/from this address: at most 30 per 60 s/) });
    });

    it('/pass-download, /v1/log and /claim/query answer 429 per address in their formats', async () => {
      const pd = await until429(() => fetch(`${h.baseUrl}/pass-download?details=x`), RATE_LIMITS.passDownloadPerAddress.limit + 5);
      expect(pd.statuses.length).toBe(RATE_LIMITS.passDownloadPerAddress.limit + 1);
      expect(await pd.res!.json()).toMatchObject({ error: 'TOO_MANY_REQUESTS' });
      const log = await until429(() => fetch(`${h.baseUrl}/v1/log`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logs: ['x'] }) }), RATE_LIMITS.walletLogPerAddress.limit + 5);
      expect(log.statuses.length).toBe(RATE_LIMITS.walletLogPerAddress.limit + 1);
      const claim = await until429(
        () => fetch(`${h.baseUrl}/claim/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation { startAsyncIssuanceClaim(claimToken: "x") { status } }' }) }),
        RATE_LIMITS.claimPerAddress.limit + 5,
      );
      expect(claim.statuses.length).toBe(RATE_LIMITS.claimPerAddress.limit + 1);
      expect(await claim.res!.json()).toMatchObject({ errors: [{ extensions: { code: 'TOO_MANY_REQUESTS' } }] });
      expect((await fetch(`${h.baseUrl}/livez`)).status).toBe(200);
    });

    it('DCI endpoints: 429 as an ERR acknowledgement with err.request.too_many_requests, counted before the body is parsed', async () => {
      const r = await until429(
        () => fetch(`${h.baseUrl}/dci/dr/registry/sync/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"not json' }),
        RATE_LIMITS.dciPerAddress.limit + 5,
      );
      expect(r.statuses.length).toBe(RATE_LIMITS.dciPerAddress.limit + 1);
      expect(await r.res!.json()).toMatchObject({ message: { ack_status: 'ERR', error: { code: 'err.request.too_many_requests' } } });
    });

    it('the codec endpoint checks its token before reading a body (a stranger\'s 17 MB or broken JSON costs no parsing)', async () => {
      const post = (body: string | Buffer, auth: string) => fetch(`${h.baseUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body });
      expect((await post('{"payloads": [', 'Bearer wrong')).status).toBe(401);
      expect((await post(Buffer.alloc(17 * 1024 * 1024, 0x20), 'Bearer wrong')).status).toBe(401);
      // With the token, the same bodies are parsed and refused for what they are.
      expect((await post('{"payloads": [', `Bearer ${codecAuthToken(h.deps.config)}`)).status).toBe(400);
    });
  });
});
