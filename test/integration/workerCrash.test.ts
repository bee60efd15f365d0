import { createTestOrg, eventually, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import { expectedInvalidation, expectedRows, invalidationRows, stageInvalidation } from '../helpers/invalidation';
import { WorkerProcess } from '../../src/dev/workerProcess';
import { invalidation } from '../../src/jobs/invalidation/workflow';
import { startJob } from '../../src/temporal/jobs';

describe('batch distribution and invalidation survive a worker crash', () => {
  let h: Harness;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(async () => {
    for (const w of workers) await w.kill();
    await h.close();
  });

  const newWorker = async () => {
    const w = new WorkerProcess({
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      WORKFLOW_BUNDLE_PATH: process.env.STEWARD_TEST_WORKFLOW_BUNDLE!,
    });
    workers.push(w);
    await w.start();
    return w;
  };

  it('two workers, one SIGKILLed halfway through 20,000 rows (parallel chunks), restarted: exactly 20,000 passes with 20,000 distinct serials', async () => {
    const { org, title, design } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const first = await newWorker();
    await newWorker();

    const rows = Array.from({ length: 20_000 }, (_, i) => ({ externalReferenceID: `e${i}`, dynamicFields: { membership_number: `${i}`, membership_name: 'N' } }));
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }`, { i: { title, passDetails: rows } });
    const requestId = /request ([0-9a-f-]{36})/.exec(res.body.data.distributePassBatch.message)![1];

    const processedAtKill = await eventually(async () => {
      const r = await h.deps.db('distribution_requests').where({ id: requestId }).first('processed_count');
      return r.processed_count >= 3000 ? r.processed_count : undefined;
    }, 60_000, 10);
    await first.kill('SIGKILL');
    const afterKill = (await h.deps.db('distribution_requests').where({ id: requestId }).first('processed_count')).processed_count;
    expect(processedAtKill).toBeLessThan(20_000);
    expect(afterKill).toBeLessThan(20_000); // the job really was cut off halfway

    await newWorker(); // back to two
    const result = await h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestId}`).result();
    expect(result).toMatchObject({ total: 20_000, processed: 20_000, success: 20_000, failure: 0 });

    const stats = await h.deps.db('passes')
      .where({ distribution_request_id: requestId })
      .first(h.deps.db.raw('count(*)::int as passes'), h.deps.db.raw('count(distinct serial_number)::int as serials'), h.deps.db.raw('max(card_number)::int as max_card'));
    expect(stats).toEqual({ passes: 20_000, serials: 20_000, max_card: 20_000 }); // no duplicate, no gap
    const seq = await h.deps.db('serial_sequences').where({ id: design.serial_sequence_id }).first('latest_card_number');
    expect(seq.latest_card_number).toBe(20_000);
    const staged = await h.deps.db('distribution_rows').where({ request_id: requestId }).groupBy('status').select('status', h.deps.db.raw('count(*)::int as n'));
    expect(staged).toEqual([{ status: 'success', n: 20_000 }]);
  });

  it('two workers, one SIGKILLed in the middle of a 10,500-row invalidation (parallel chunks), restarted: every row applied once', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    while (workers.filter((w) => w.running).length < 2) await newWorker();
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ externalReferenceID: `e${i}`, dynamicFields: { membership_number: `${i}`, membership_name: 'N' } }));
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }`, { i: { title, passDetails: rows } });
    const distId = /request ([0-9a-f-]{36})/.exec(res.body.data.distributePassBatch.message)![1];
    await h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${distId}`).result();
    const mine: string[] = await h.deps.db('passes').where({ distribution_request_id: distId }).orderBy('card_number').pluck('serial_number');

    // Every 20th row a repeat of a serial 1,000 rows earlier, or an unknown serial.
    const serials: string[] = [];
    for (let r = 1, next = 0; r <= 10_500; r++) serials.push(r % 21 ? mine[next++] : r % 42 ? `NOPE-${r}` : serials[r - 1001]);
    const expected = expectedInvalidation(serials, { ours: new Set(mine), expired: new Map() });
    const staged = await stageInvalidation(h.deps.db, org.id, serials);
    const workflowId = `invalidation-${org.id}-${staged.requestId}`;
    await startJob(h.deps.temporal!, h.deps.config, invalidation, {
      workflowId,
      args: [{ requestId: staged.requestId, organisationId: org.id, expiryTimeMs: staged.expiryTime.getTime(), batch: true, chunkSize: 500, concurrency: 4 }],
      organisationId: org.id,
      requestId: staged.requestId,
      summary: 'invalidation crash test',
    });

    await eventually(async () => {
      const r = await h.deps.db('invalidation_requests').where({ id: staged.requestId }).first('processed_count');
      return r.processed_count >= 1500 ? r.processed_count : undefined;
    }, 60_000, 10);
    await workers.find((w) => w.running)!.kill('SIGKILL');
    const afterKill = (await h.deps.db('invalidation_requests').where({ id: staged.requestId }).first('processed_count')).processed_count;
    expect(afterKill).toBeLessThan(10_500); // cut off halfway
    await newWorker(); // back to two

    const successes = expected.filter((e) => e.status === 'success').length;
    expect(successes).toBe(10_000);
    expect(await h.deps.temporal!.workflow.getHandle(workflowId).result()).toMatchObject({ total: 10_500, processed: 10_500, success: successes, failure: 500 });
    // Counted once each (a chunk applied twice would count its rows twice), each row's result exact.
    expect(await h.deps.db('invalidation_requests').where({ id: staged.requestId }).first('batch_count', 'processed_count', 'success_count', 'failure_count')).toEqual({
      batch_count: 10_500, processed_count: 10_500, success_count: successes, failure_count: 500,
    });
    expect(await invalidationRows(h.deps.db, staged.requestId)).toEqual(expectedRows(expected));
    const passes = await h.deps.db('passes').where({ distribution_request_id: distId }).groupBy('is_expired', 'expired_timestamp').select('is_expired', 'expired_timestamp', h.deps.db.raw('count(*)::int as n'));
    expect(passes).toEqual([{ is_expired: true, expired_timestamp: staged.expiryTime, n: 10_000 }]);
  });
});
