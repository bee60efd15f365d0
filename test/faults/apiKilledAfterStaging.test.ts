import { freePort } from '../../src/dev/freePort';
import { ApiProcess } from '../../src/dev/workerProcess';
import { createTestOrg, eventually, tokenFor } from '../helpers/harness';
import { TcpProxy } from '../helpers/tcpProxy';
import { distributeBatch, expectDistributedOnce, expectSerialsWithoutGap } from './business';
import { randomBetween, say, useFaultCluster } from './cluster';

/**
 * Fault 5: the API process (`npm run api`) is SIGKILLed after it committed a staged batch and
 * before it started the batch's workflow. Its path to Temporal is frozen (a TCP proxy that stops
 * passing bytes), so the start hangs exactly in that window; the kill comes at a random moment in it.
 * A retry with the same Idempotency-Key finishes the job once; a request nobody retries is started
 * by the `steward-orphaned-requests` Schedule once it is a minute old.
 */
describe('fault: API SIGKILLed between staging a batch and starting its workflow', () => {
  const proxies: TcpProxy[] = [];
  afterAll(async () => {
    for (const p of proxies) await p.close();
  });
  const c = useFaultCluster();

  /**
   * Starts `npm run api` with its own (soon frozen) path to Temporal, sends a batch, and kills the
   * API once the batch is staged: the request is left without a workflow.
   */
  async function orphan(token: string, title: string, key: string, n: number): Promise<string> {
    const proxy = new TcpProxy({ host: '127.0.0.1', port: Number(c.temporal.address.split(':')[1]) });
    proxies.push(proxy);
    const port = await freePort();
    const api = c.track(new ApiProcess({ ...c.env, TEMPORAL_ADDRESS: await proxy.start(), PORT: String(port) }));
    await api.start();
    proxy.freeze();
    const answer = distributeBatch(`http://127.0.0.1:${port}`, token, title, n, { 'Idempotency-Key': key }).then(
      () => 'answered',
      () => 'no answer',
    );
    const staged = await eventually<{ id: string; status: string; batch_count: number; workflow_started_at: Date | null }>(
      async () => (await c.deps.db('distribution_requests').where({ request_key: key }).first('id', 'status', 'batch_count', 'workflow_started_at')) ?? undefined,
      30_000,
      20,
    );
    await new Promise((r) => setTimeout(r, randomBetween(0, 500)));
    await api.kill('SIGKILL');
    expect(await answer).toBe('no answer');
    expect(staged).toMatchObject({ status: 'Pending', batch_count: n, workflow_started_at: null });
    say(`API SIGKILLed with request ${staged.id} staged and no workflow`);
    return staged.id;
  }

  it('a retry with the same Idempotency-Key finishes the job once; the sweeper Schedule starts the one nobody retried', async () => {
    await c.startWorker(); // the worker registers Steward's Schedules on this cluster's task queue
    const { org, title, design } = await createTestOrg(c.deps, { callbackUrl: `${c.receiverUrl}/hook` });
    const token = await tokenFor(c.deps, org.id);
    const n = 2_000;

    // Two orphans, each left by a killed API process.
    const forgotten = await orphan(token, title, 'never-retried', n);
    const retried = await orphan(token, title, 'retried-by-the-client', n);
    for (const id of [forgotten, retried]) {
      await expect(c.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${id}`).describe()).rejects.toThrow(/not found/i);
    }

    // The client retries the same mutation with the same key against a healthy API process.
    const port = await freePort();
    const api = c.track(new ApiProcess({ ...c.env, PORT: String(port) }));
    await api.start();
    expect(await distributeBatch(`http://127.0.0.1:${port}`, token, title, n, { 'Idempotency-Key': 'retried-by-the-client' })).toBe(retried);
    const result = await c.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${retried}`).result();
    expect(result).toMatchObject({ total: n, processed: n, success: n, failure: 0, callback: 'delivered' });
    await expectDistributedOnce(c.deps, c.receiver, retried, n);
    // A second retry after it finished: the same request, nothing runs again.
    expect(await distributeBatch(`http://127.0.0.1:${port}`, token, title, n, { 'Idempotency-Key': 'retried-by-the-client' })).toBe(retried);

    // Nobody retries the other: the Schedule gives it its workflow once it is a minute old, not before.
    const schedule = await c.deps.temporal!.schedule.getHandle('steward-orphaned-requests').describe();
    expect(schedule.spec.intervals?.[0].every).toBe(60_000);
    const handle = c.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${forgotten}`);
    const description = await eventually(async () => handle.describe().catch(() => undefined), 150_000, 1000);
    const createdAt = (await c.deps.db('distribution_requests').where({ id: forgotten }).first('created_at')).created_at as Date;
    say(`the sweeper started ${forgotten} ${((description.startTime.getTime() - createdAt.getTime()) / 1000).toFixed(1)} s after it was staged`);
    expect(description.startTime.getTime() - createdAt.getTime()).toBeGreaterThanOrEqual(60_000);
    expect(await handle.result()).toMatchObject({ total: n, processed: n, success: n, failure: 0, callback: 'delivered' });
    await expectDistributedOnce(c.deps, c.receiver, forgotten, n);
    await expectSerialsWithoutGap(c.deps, design, 2 * n);
    expect(await c.deps.db('distribution_requests').where({ organisation_id: org.id }).whereNull('workflow_started_at').count<{ n: number }[]>('* as n')).toEqual([{ n: 0 }]);
  }, 300_000);
});
