import { createTestOrg, eventually, gql, tokenFor } from '../helpers/harness';
import { distributeBatch } from './business';
import { randomBetween, say, useFaultCluster } from './cluster';

/**
 * Fault 3: a batch invalidation scheduled 30 s ahead; before it fires, the worker and the Temporal
 * server are both SIGKILLed and started again. The passes expire at that time, not before, and
 * at most 15 s after.
 */
describe('fault: worker and Temporal server restarted before a scheduled invalidation fires', () => {
  const c = useFaultCluster();

  it('the passes expire at expiryTime (within 15 s), not before', async () => {
    const [worker] = await Promise.all([c.startWorker(), c.startWorker()]);
    const { org, title } = await createTestOrg(c.deps, { callbackUrl: `${c.receiverUrl}/hook` });
    const token = await tokenFor(c.deps, org.id);
    const distributed = await distributeBatch(c.baseUrl, token, title, 40);
    await c.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${distributed}`).result();
    const serials: string[] = await c.deps.db('passes').where({ distribution_request_id: distributed }).orderBy('serial_number').pluck('serial_number');
    expect(serials).toHaveLength(40);

    const expiryTime = new Date(Math.ceil((Date.now() + 30_000) / 1000) * 1000);
    const res = await gql(c.baseUrl, token, 'mutation($i: InvalidationRequest) { invalidateBatchPasses(input: $i) { message } }', { i: { serialNumbers: serials, expiryTime: expiryTime.toISOString() } });
    const requestId = /request ([0-9a-f-]{36})/.exec(res.body.data?.invalidateBatchPasses?.message ?? '')?.[1];
    expect(requestId).toBeDefined();
    const request = () => c.deps.db('invalidation_requests').where({ id: requestId }).first('status', 'success_count', 'failure_count');
    await eventually(async () => ((await request()).status === 'Scheduled' ? true : undefined), 20_000);

    // The fault: at a random moment before the timer fires, a worker and the server die without
    // warning; the server comes back on its SQLite file and a new worker process replaces the dead
    // one. (A second worker runs throughout: booting one takes 10-20 s on a loaded 2-core machine,
    // which the 30 s would not always leave; whichever worker held the workflow, its state is gone
    // with the server restart and is replayed from history.)
    const faultAt = randomBetween(0, 5_000);
    await new Promise((r) => setTimeout(r, faultAt));
    await worker.kill('SIGKILL');
    await c.temporal.kill('SIGKILL');
    say(`worker and Temporal SIGKILLed ${((expiryTime.getTime() - Date.now()) / 1000).toFixed(1)} s before the expiry`);
    await c.temporal.start();
    const left = expiryTime.getTime() - Date.now();
    say(`Temporal back ${(left / 1000).toFixed(1)} s before the expiry`);
    expect(left).toBeGreaterThan(1_000); // the restart really happened before the timer was due
    // The replacement boots while we watch (it may come up after the expiry on a loaded machine).
    const replacement = c.startWorker().then(() => say(`replacement worker up ${((expiryTime.getTime() - Date.now()) / 1000).toFixed(1)} s before the expiry`));

    const expired = () => c.deps.db('passes').whereIn('serial_number', serials).andWhere({ is_expired: true }).count<{ n: number }[]>('* as n').then(([r]) => Number(r.n));
    // Not before: until just before expiryTime, nothing has expired and the request is still Scheduled.
    let watched = 0;
    while (Date.now() < expiryTime.getTime() - 1_000) {
      const [n, { status }] = await Promise.all([expired(), request()]);
      expect({ n, status }).toEqual({ n: 0, status: 'Scheduled' });
      watched++;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(watched).toBeGreaterThan(0);
    // At that time: all 40 within 15 s.
    await eventually(async () => ((await expired()) === 40 ? true : undefined), expiryTime.getTime() + 15_000 - Date.now(), 250);
    say(`all 40 passes expired ${((Date.now() - expiryTime.getTime()) / 1000).toFixed(1)} s after expiryTime`);

    const passes = await c.deps.db('passes').whereIn('serial_number', serials).select('expired_timestamp', 'last_modified');
    for (const p of passes) {
      expect(p.expired_timestamp.getTime()).toBe(expiryTime.getTime());
      expect(p.last_modified.getTime()).toBeGreaterThanOrEqual(expiryTime.getTime());
      expect(p.last_modified.getTime()).toBeLessThanOrEqual(expiryTime.getTime() + 15_000);
    }
    await eventually(async () => ((await request()).status === 'Complete' ? true : undefined), 15_000);
    expect(await request()).toEqual({ status: 'Complete', success_count: 40, failure_count: 0 });
    const result = await c.deps.temporal!.workflow.getHandle(`invalidation-${org.id}-${requestId}`).result();
    expect(result).toMatchObject({ total: 40, success: 40, failure: 0 });
    // One results callback (sent when the serials were accepted), however many restarts.
    const callbacks = c.receiver.requests.filter((r) => r.headers['webhook-id'] === `msg_invalidation_${requestId}`);
    expect(callbacks).toHaveLength(1);
    await replacement;
  }, 180_000);
});
