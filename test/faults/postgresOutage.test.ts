import { createTestOrg, eventually, gql, tokenFor } from '../helpers/harness';
import { distributeBatch, expectDistributedOnce, expectSerialsWithoutGap } from './business';
import { randomBetween, say, useFaultCluster } from './cluster';

/**
 * Fault 2: PostgreSQL stops (immediate shutdown: no checkpoint, crash recovery at the next start)
 * during a batch and is started again 10 s later.
 */
describe('fault: PostgreSQL immediate shutdown mid-batch, back 10 s later', () => {
  const c = useFaultCluster();
  beforeAll(() => c.startWorker(), 120_000);

  it('chunks retry, both accepted batches complete exactly once, and the API answers 503 meanwhile', async () => {
    const { org, title, design } = await createTestOrg(c.deps, { callbackUrl: `${c.receiverUrl}/hook` });
    const token = await tokenFor(c.deps, org.id);
    const n = 20_000;
    const big = await distributeBatch(c.baseUrl, token, title, n);
    const small = await distributeBatch(c.baseUrl, token, title, 700, { 'Idempotency-Key': 'accepted-before-the-outage' });

    const stopAt = randomBetween(1, 14_000);
    await eventually(async () => {
      const r = await c.deps.db('distribution_requests').where({ id: big }).first('processed_count');
      return r.processed_count >= stopAt ? true : undefined;
    }, 120_000, 20);
    await new Promise((r) => setTimeout(r, randomBetween(0, 600)));
    await c.postgres.immediateShutdown();
    const downAt = Date.now();
    say(`PostgreSQL immediate shutdown (aimed at ≥ ${stopAt} of ${n} rows processed)`);

    // While it is down: readiness and GraphQL say so, with 503 and a clear reason.
    const ready = await fetch(`${c.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', failed: ['postgres'], checks: { postgres: { ok: false, error: expect.any(String) }, temporal: { ok: true } } });

    const query = await gql(c.baseUrl, token, '{ getPaginatedDistributionRequests(input: { batchSize: 5 }) { distributionDocs { status } } }');
    expect(query.status).toBe(503);
    expect(query.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^service unavailable: PostgreSQL cannot be reached right now; retry in \d+ s/),
      extensions: { code: 'SERVICE_UNAVAILABLE', dependency: 'PostgreSQL' },
    });
    const refused = await fetch(`${c.baseUrl}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'Idempotency-Key': 'sent-during-the-outage' },
      body: JSON.stringify({ query: 'mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }', variables: { i: { title, passDetails: [{ externalReferenceID: 'x', dynamicFields: { membership_number: '1', membership_name: 'N' } }] } } }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(((await refused.json()) as any).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');

    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - downAt))));
    await c.postgres.restart();
    say(`PostgreSQL back after ${((Date.now() - downAt) / 1000).toFixed(1)} s`);
    expect((await fetch(`${c.baseUrl}/readyz`)).status).toBe(200);

    for (const [id, count] of [[big, n], [small, 700]] as const) {
      const result = await c.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${id}`).result();
      expect(result).toMatchObject({ total: count, processed: count, success: count, failure: 0, callback: 'delivered' });
      await expectDistributedOnce(c.deps, c.receiver, id, count);
    }
    await expectSerialsWithoutGap(c.deps, design, n + 700);
    // The mutation refused during the outage wrote nothing.
    expect(await c.deps.db('distribution_requests').where({ organisation_id: org.id }).pluck('request_key')).toEqual(expect.not.arrayContaining(['sent-during-the-outage']));
    expect(await c.deps.db('distribution_requests').where({ organisation_id: org.id }).orderBy('batch_count').pluck('batch_count')).toEqual([700, n]);
  });

  it('a callback the receiver accepted while PostgreSQL went down is recorded once it is back, and never sent again', async () => {
    const { org, title } = await createTestOrg(c.deps, { callbackUrl: `${c.receiverUrl}/hook-once` });
    const token = await tokenFor(c.deps, org.id);
    // The receiver takes the callback, but PostgreSQL dies before the worker can log the 200.
    let downAt = 0;
    c.receiver.respond = async (r) => {
      if (r.path !== '/hook-once' || downAt) return 200;
      downAt = Date.now();
      await c.postgres.immediateShutdown();
      say('callback received; PostgreSQL immediate shutdown before the 200 is answered');
      return 200;
    };
    const requestId = await distributeBatch(c.baseUrl, token, title, 3);
    await eventually(async () => (downAt ? true : undefined), 60_000, 20);
    await new Promise((r) => setTimeout(r, Math.max(0, 5_000 - (Date.now() - downAt))));
    await c.postgres.restart();
    say(`PostgreSQL back after ${((Date.now() - downAt) / 1000).toFixed(1)} s`);

    const result = await c.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestId}`).result();
    expect(result).toMatchObject({ total: 3, success: 3, callback: 'delivered' });
    await expectDistributedOnce(c.deps, c.receiver, requestId, 3);
    const logged = await c.deps.db('callback_attempts').where({ delivery_id: `msg_distribution_${requestId}` }).select('attempt', 'status_code', 'error');
    expect(logged).toEqual([{ attempt: 1, status_code: 200, error: null }]);
    c.receiver.respond = () => 200;
  });
});
