import { freePort } from '../../src/dev/freePort';
import { verifyStandardWebhook } from '../../src/services/callbacks/signing';
import { createTestOrg, eventually, Harness, startHarness, tokenFor } from '../helpers/harness';
import { CallbackReceiver } from '../helpers/receiver';
import { distributeBatch } from './business';
import { say } from './cluster';

/**
 * Fault 4: the integrator's callback endpoint fails its first three attempts in three different
 * ways (nothing listening, 503, an answer that never comes) and accepts the fourth. Real time:
 * the production backoff (10 s, 20 s, 40 s) and the 15 s timeout, about 90 s.
 */
describe('fault: callback receiver refusing, 503, hanging, then accepting', () => {
  let h: Harness;
  const receiver = new CallbackReceiver();
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await receiver.close();
    await h.close();
  });

  it('delivers on the 4th attempt with the same webhook-id, all four attempts logged', async () => {
    const port = await freePort(); // nothing listens there yet: connection refused
    const { org, title } = await createTestOrg(h.deps, { callbackUrl: `http://127.0.0.1:${port}/hook` });
    const token = await tokenFor(h.deps, org.id);
    const requestId = await distributeBatch(h.baseUrl, token, title, 5);
    const webhookId = `msg_distribution_${requestId}`;

    const attempts = () => h.deps.db('callback_attempts').where({ delivery_id: webhookId }).orderBy('attempt');
    await eventually(async () => ((await attempts()).length >= 1 ? true : undefined), 60_000);
    say('attempt 1 refused (nothing listening); the receiver starts: 503, then a hang, then 200');
    receiver.respond = (_r, i) => (i === 0 ? 503 : i === 1 ? 'hang' : 200);
    await receiver.start(port);

    const result = await h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestId}`).result();
    expect(result).toMatchObject({ total: 5, success: 5, callback: 'delivered' });

    const logged = await attempts();
    expect(logged.map((a) => [a.attempt, a.status_code])).toEqual([[1, null], [2, 503], [3, null], [4, 200]]);
    expect(logged[0].error).toMatch(/ECONNREFUSED/);
    expect(logged[1].error).toMatch(/^HTTP 503/);
    expect(logged[2].error).toMatch(/no response within 15 s/);
    expect(logged[2].duration_ms).toBeGreaterThanOrEqual(15_000);
    expect(logged[3].error).toBeNull();
    expect(await h.deps.db('callback_deliveries').where({ id: webhookId }).first('status', 'attempts')).toEqual({ status: 'delivered', attempts: 4 });

    // At the receiver: three requests (the first attempt never connected), one webhook-id, each signed, one accepted.
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([webhookId]));
    for (const r of receiver.requests) expect(verifyStandardWebhook(org.webhook_secret, r.headers, r.body)).toBe(true);
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    expect(JSON.parse(receiver.requests[2].body)).toMatchObject({ requestID: requestId, successCount: 5, failureCount: 0 });
    expect(await h.deps.db('distribution_requests').where({ id: requestId }).first('status')).toEqual({ status: 'Complete' });
  }, 240_000);
});
