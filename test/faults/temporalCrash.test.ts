import { createTestOrg, eventually, tokenFor } from '../helpers/harness';
import { distributeBatch, expectDistributedOnce, expectSerialsWithoutGap } from './business';
import { randomBetween, say, useFaultCluster } from './cluster';

/** Fault 1: the Temporal server dies (SIGKILL) in the middle of a 40,000-row batch and comes back on the same database file. */
describe('fault: Temporal dev server SIGKILLed mid-batch', () => {
  const c = useFaultCluster();

  it('the 40,000-row batch completes exactly once after the server restarts on the same SQLite file', async () => {
    await c.startWorker();
    const { org, title, design } = await createTestOrg(c.deps, { callbackUrl: `${c.receiverUrl}/hook` });
    const token = await tokenFor(c.deps, org.id);
    // 8 chunks: after the first (alone), the next 4 commit close together; with 20,000 rows that
    // was the whole batch, and on a quiet machine it could finish before the kill.
    const n = 40_000;
    const requestId = await distributeBatch(c.baseUrl, token, title, n);

    // Chunks of 5,000 rows run 4 at a time, so progress moves in steps: the kill comes right after
    // a random one of the first steps (0: as soon as rows are being processed), while chunks are in flight.
    const killAt = randomBetween(0, 10_000);
    await eventually(async () => {
      const r = await c.deps.db('distribution_requests').where({ id: requestId }).first('processed_count', 'status');
      return r.status !== 'Pending' && r.processed_count >= killAt ? true : undefined;
    }, 120_000, 10);
    const before = (await c.deps.db('distribution_requests').where({ id: requestId }).first('processed_count')).processed_count;
    await c.temporal.kill('SIGKILL');
    say(`Temporal SIGKILLed at ${before} of ${n} rows processed (aimed at ≥ ${killAt})`);
    expect(before).toBeLessThan(n);
    await new Promise((r) => setTimeout(r, 2000));
    await c.temporal.start();

    const result = await c.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestId}`).result();
    expect(result).toMatchObject({ total: n, processed: n, success: n, failure: 0, callback: 'delivered' });
    await expectDistributedOnce(c.deps, c.receiver, requestId, n);
    await expectSerialsWithoutGap(c.deps, design, n);
  });
});
