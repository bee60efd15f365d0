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
});
