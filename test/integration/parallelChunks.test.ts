import { WorkerProcess } from '../../src/dev/workerProcess';
import { stageBatchDistribution } from '../../src/jobs/distribution/service';
import { batchDistribution } from '../../src/jobs/distribution/workflow';
import { startJob } from '../../src/temporal/jobs';
import { createTestOrg, Harness, startHarness } from '../helpers/harness';

describe('parallel chunks of one batch on two worker processes', () => {
  let h: Harness;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    for (let i = 0; i < 2; i++) {
      const w = new WorkerProcess({ TEMPORAL_TASK_QUEUE: h.taskQueue, WORKFLOW_BUNDLE_PATH: process.env.STEWARD_TEST_WORKFLOW_BUNDLE! });
      workers.push(w);
      await w.start();
    }
  });
  afterAll(async () => {
    for (const w of workers) await w.kill();
    await h.close();
  });

  it('20,000 rows in 1,000-row chunks, 4 in flight: exactly 20,000 passes and serials, the reserved range skipped, chunks on both workers', async () => {
    const { org, title, design } = await createTestOrg(h.deps);
    // Card numbers 5,001-6,000 are reserved (plastic cards): no chunk may take them.
    await h.deps.db('serial_sequences').where({ id: design.serial_sequence_id }).update({
      reserved_ranges: JSON.stringify([{ start: 5001, end: 6000, count: 1000, processed: false }]),
    });
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ rowNumber: i + 1, raw: { externalReferenceID: `e${i}`, dynamicFields: { membership_number: `${i}`, membership_name: 'N' } } }));
    const staged = await stageBatchDistribution(h.deps.db, { org: org.id, email: 'ops@example.test', roles: ['Owner'] } as never, {
      title,
      source: 'api',
      rows: (async function* () {
        for (let i = 0; i < rows.length; i += 5000) yield rows.slice(i, i + 5000);
      })(),
    });
    const workflowId = `distribution-${org.id}-${staged.requestId}`;
    await startJob(h.deps.temporal!, h.deps.config, batchDistribution, {
      workflowId,
      args: [{ requestId: staged.requestId, organisationId: org.id, chunkSize: 1000, concurrency: 4 }],
      organisationId: org.id,
      requestId: staged.requestId,
      summary: 'parallel chunks test',
    });
    const handle = h.deps.temporal!.workflow.getHandle(workflowId);
    expect(await handle.result()).toMatchObject({ total: 20_000, processed: 20_000, success: 20_000, failure: 0, done: true });

    const stats = await h.deps.db('passes')
      .where({ distribution_request_id: staged.requestId })
      .first(
        h.deps.db.raw('count(*)::int as passes'),
        h.deps.db.raw('count(distinct serial_number)::int as serials'),
        h.deps.db.raw('min(card_number::int)::int as min_card'),
        h.deps.db.raw('max(card_number::int)::int as max_card'),
        h.deps.db.raw('count(*) filter (where card_number::int between 5001 and 6000)::int as in_reserved'),
      );
    expect(stats).toEqual({ passes: 20_000, serials: 20_000, min_card: 1, max_card: 21_000, in_reserved: 0 });
    expect((await h.deps.db('serial_sequences').where({ id: design.serial_sequence_id }).first('latest_card_number')).latest_card_number).toBe(21_000);
    const rowsByStatus = await h.deps.db('distribution_rows').where({ request_id: staged.requestId }).groupBy('status').select('status', h.deps.db.raw('count(*)::int as n'));
    expect(rowsByStatus).toEqual([{ status: 'success', n: 20_000 }]);

    // Which worker ran each chunk: the identity on its ActivityTaskStarted event.
    const history = await handle.fetchHistory();
    const chunkEvents = new Set<string>();
    const identities = new Set<string>();
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'processDistributionChunk') chunkEvents.add(String(e.eventId));
      const started = e.activityTaskStartedEventAttributes;
      if (started && chunkEvents.has(String(started.scheduledEventId))) identities.add(started.identity!);
    }
    expect(chunkEvents.size).toBe(20);
    expect(identities.size).toBe(2);
  });
});
