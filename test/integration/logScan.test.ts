import crypto from 'node:crypto';
import { freePort } from '../../src/dev/freePort';
import { ApiProcess, WorkerProcess } from '../../src/dev/workerProcess';
import { createOAuthClient } from '../../src/services/consumers/oauthClients';
import { createIssuer } from '../../src/services/consumers/registry';
import { latestCode } from '../helpers/asyncIssuance';
import { createTestOrg, eventually, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import { NotificationServers, startNotificationServers } from '../helpers/notifications';

/**
 * Security finding 9: logs must not carry secrets or end users' personal data. A full run (the API
 * and a worker as their own processes at LOG_LEVEL=debug: distribution, a batch with its callback,
 * an async issuance with invitation, one-time code and claim, OAuth client credentials, refused
 * tokens) is made, and every JSON log line of both processes is searched for each secret and each
 * canary value.
 */
describe('log scan: no secrets or personal data in the logs (finding 9)', () => {
  let h: Harness;
  let servers: NotificationServers;
  let api: ApiProcess;
  let worker: WorkerProcess;
  let baseUrl: string;
  const output: string[] = [];
  const tag = crypto.randomBytes(4).toString('hex');
  const canary = {
    name: `Zebulon Canaryfield${tag}`,
    email: `canary.${tag}@example.test`,
    phone: `+4477009${String(crypto.randomInt(10_000, 99_999))}`,
    membership: `CANARY-${tag}`,
  };

  beforeAll(async () => {
    servers = await startNotificationServers();
    h = await startHarness({ worker: false });
    const port = await freePort();
    const env = {
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'debug',
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      WORKFLOW_BUNDLE_PATH: process.env.STEWARD_TEST_WORKFLOW_BUNDLE!,
    } as Record<string, string>;
    for (const k of ['SMTP_URL', 'MAIL_FROM', 'SMS_PROVIDER_URL', 'SMS_ACCOUNT_SID', 'SMS_AUTH_TOKEN', 'SMS_FROM']) env[k] = process.env[k]!;
    api = new ApiProcess(env);
    worker = new WorkerProcess(env);
    api.onOutput = (c) => output.push(c);
    worker.onOutput = (c) => output.push(c);
    await Promise.all([api.start(), worker.start()]);
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await api?.kill('SIGTERM');
    await worker?.kill('SIGTERM');
    await h?.close();
    await servers?.close();
  });

  it('a full run writes JSON log lines with no token, client secret, one-time code, delivery address or canary value', async () => {
    const secrets: Record<string, string> = {};
    const t = await createTestOrg(h.deps, { callbackUrl: h.receiverUrl });
    const token = await tokenFor(h.deps, t.org.id);
    secrets.userToken = token;

    // Distribution: one pass inline, a batch through the worker with its callback.
    const pass = { externalReferenceID: `ref-${tag}`, dynamicFields: { membership_number: canary.membership, membership_name: canary.name } };
    const one = await gql(baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } failureList { error } } }`, { i: { title: t.title, passDetails: [pass] } });
    expect(one.body.errors).toBeUndefined();
    const batch = await gql(baseUrl, token, `mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }`, {
      i: { title: t.title, passDetails: [pass, { ...pass, externalReferenceID: `bad-${tag}`, dynamicFields: { membership_name: canary.name } }] },
    });
    expect(batch.body.errors).toBeUndefined();
    await h.receiver.waitFor((r) => r.some((x) => x.body.includes('successCount')), 90_000);

    // Async issuance: invitation by email, a one-time code by SMS, the claim completed with it.
    const created = await gql(baseUrl, token, `mutation($i: AsyncIssuanceRequestCreateInput!) { createAsyncIssuanceRequest(input: $i) { claimUrl asyncIssuanceRequest { id } } }`, {
      i: {
        contract: { title: t.title },
        expiry: 'SEVEN_DAYS',
        identity: { name: canary.name, email: canary.email },
        contact: { notification: { email: canary.email }, verification: { phone: canary.phone } },
        dynamicFields: { membership_number: canary.membership },
      },
    });
    expect(created.body.errors).toBeUndefined();
    const { claimUrl, asyncIssuanceRequest } = created.body.data.createAsyncIssuanceRequest;
    const claimToken = new URL(claimUrl).searchParams.get('token')!;
    secrets.claimToken = claimToken;
    const claim = (query: string, variables: unknown) =>
      fetch(`${baseUrl}/claim/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }).then((r) => r.json() as Promise<any>);
    const started = await claim(`mutation($t: String!) { startAsyncIssuanceClaim(claimToken: $t) { status } }`, { t: claimToken });
    expect(started.errors).toBeUndefined();
    const code = await latestCode(h.deps, asyncIssuanceRequest.id, servers);
    secrets.oneTimeCode = code;
    // Sent, the code is stored nowhere readable: the outbox body keeps a placeholder, the sealed value is dropped.
    const sent = await h.deps.db('notification_outbox').where({ reference: asyncIssuanceRequest.id, kind: 'verification-code' });
    expect(sent.every((r: { status: string; secret_params: string | null; body: string }) => r.status === 'sent' && r.secret_params === null && !r.body.includes(code))).toBe(true);
    const request = await h.deps.db('async_issuance_requests').where({ id: asyncIssuanceRequest.id }).first();
    expect(JSON.stringify(request)).not.toContain(code);
    const wrong = await claim(`mutation($t: String!, $c: String) { completeAsyncIssuanceClaim(claimToken: $t, code: $c) { status } }`, { t: claimToken, c: code === '000000' ? '111111' : '000000' });
    expect(wrong.errors?.[0].message).toMatch(/code/);
    const done = await claim(`mutation($t: String!, $c: String) { completeAsyncIssuanceClaim(claimToken: $t, code: $c) { status passDownloadLink } }`, { t: claimToken, c: code });
    expect(done.errors).toBeUndefined();
    expect(done.data.completeAsyncIssuanceClaim.status).toBe('COMPLETED');
    secrets.passDownloadDetails = new URL(done.data.completeAsyncIssuanceClaim.passDownloadLink).searchParams.get('details')!;

    // OAuth client credentials, then refused credentials and a refused token.
    const issuerId = `BNK${crypto.randomBytes(4).toString('hex').slice(0, 7).toUpperCase()}`;
    await createIssuer(h.deps.db, { id: issuerId, name: 'Canary Bank', organisationId: t.org.id });
    const client = await createOAuthClient(h.deps.db, issuerId);
    secrets.clientSecret = client.clientSecret;
    const tokenRes = await fetch(`${baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString(),
    });
    expect(tokenRes.status).toBe(200);
    secrets.issuerToken = ((await tokenRes.json()) as { access_token: string }).access_token;
    await fetch(`${baseUrl}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}x`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    const forged = `${token.slice(0, -4)}AAAA`;
    secrets.forgedToken = forged;
    expect((await gql(baseUrl, forged, '{ __typename }')).status).toBe(401);

    // Let the last deliveries and their log lines happen, then read every line.
    await eventually(async () => ((await h.deps.db('notification_outbox').where({ reference: asyncIssuanceRequest.id, status: 'pending' })).length === 0 ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const lines = output.join('').split('\n').filter((l) => l.startsWith('{'));
    const json = lines.filter((l) => {
      try {
        JSON.parse(l);
        return true;
      } catch {
        return false;
      }
    });
    expect(json.length).toBeGreaterThan(10);
    const needles = { ...secrets, canaryName: canary.name, canaryEmail: canary.email, canaryPhone: canary.phone, canaryMembership: canary.membership };
    const found = Object.entries(needles).flatMap(([what, value]) => json.filter((l) => l.includes(value)).map((l) => `${what}: ${l.slice(0, 400)}`));
    expect(found).toEqual([]);
  });
});
