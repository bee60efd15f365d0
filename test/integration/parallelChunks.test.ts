import type { WorkflowHandle } from '@temporalio/client';
import { WorkerProcess } from '../../src/dev/workerProcess';
import { stageBatchDistribution } from '../../src/jobs/distribution/service';
import { batchDistribution } from '../../src/jobs/distribution/workflow';
import { createInvalidationActivities } from '../../src/jobs/invalidation/activities';
import { processInvalidationChunk } from '../../src/jobs/invalidation/chunks';
import { invalidation } from '../../src/jobs/invalidation/workflow';
import { expirePassesNow } from '../../src/jobs/passExpiry/service';
import { startJob } from '../../src/temporal/jobs';
import { createTestOrg, Harness, startHarness } from '../helpers/harness';
import { expectedInvalidation, expectedRows, invalidationRows, stageInvalidation } from '../helpers/invalidation';

/** The worker identities that ran the workflow's activities of this type. */
async function activityWorkers(handle: WorkflowHandle, activityType: string) {
  const history = await handle.fetchHistory();
  const scheduled = new Set<string>();
  const identities = new Set<string>();
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === activityType) scheduled.add(String(e.eventId));
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.has(String(started.scheduledEventId))) identities.add(started.identity!);
  }
  return { activities: scheduled.size, identities };
}

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
    const { activities, identities } = await activityWorkers(handle, 'processDistributionChunk');
    expect(activities).toBe(20);
    expect(identities.size).toBe(2);
  });

  const principal = (org: string) => ({ org, email: 'ops@example.test', roles: ['Owner'] }) as never;

  /** `n` passes of a fresh organisation, distributed by the batch workflow; their serials in row order. */
  async function passesOf(n: number) {
    const t = await createTestOrg(h.deps);
    const staged = await stageBatchDistribution(h.deps.db, principal(t.org.id), {
      title: t.title,
      source: 'api',
      rows: (async function* () {
        yield Array.from({ length: n }, (_, i) => ({ rowNumber: i + 1, raw: { externalReferenceID: `e${i}`, dynamicFields: { membership_number: `${i}`, membership_name: 'N' } } }));
      })(),
    });
    const workflowId = `distribution-${t.org.id}-${staged.requestId}`;
    await startJob(h.deps.temporal!, h.deps.config, batchDistribution, {
      workflowId, args: [{ requestId: staged.requestId, organisationId: t.org.id, chunkSize: 1000 }], organisationId: t.org.id, requestId: staged.requestId, summary: 'passes for an invalidation test',
    });
    await h.deps.temporal!.workflow.getHandle(workflowId).result();
    const serials: string[] = await h.deps.db('passes').where({ distribution_request_id: staged.requestId }).orderBy('card_number').pluck('serial_number');
    return { ...t, serials };
  }

  it('invalidation: 7,000 rows in 1,000-row chunks, 4 in flight on two workers: exactly the right successes and failures', async () => {
    const mine = await passesOf(6000);
    const other = await passesOf(5);
    const preExpired = [mine.serials[10], mine.serials[3000], mine.serials[5990]];
    const expiredAt = new Date(Date.now() - 60_000);
    await expirePassesNow(h.deps.db, await h.deps.db('passes').whereIn('serial_number', preExpired).pluck('id'), expiredAt);
    // Every 7th row is not a plain serial of ours: a repeat of a serial 1,500 rows earlier (another
    // chunk, which may run later), another organisation's serial (each used twice), an unknown
    // serial, an empty one, or one unknown serial repeated in every chunk.
    const serials: string[] = [];
    let next = 0;
    for (let r = 1; r <= 7000; r++) {
      if (r % 7) serials.push(mine.serials[next++]);
      else serials.push([serials[r - 1501] ?? 'NOPE-early', other.serials[(r / 7) % 5], `NOPE-${r}`, '', 'NOPE-REPEATED'][(r / 7) % 5]);
    }
    const expected = expectedInvalidation(serials, { ours: new Set(mine.serials), expired: new Map(preExpired.map((p) => [p, expiredAt])) });
    expect(expected.filter((e) => e.error?.includes('is already in row')).length).toBeGreaterThan(300);

    const staged = await stageInvalidation(h.deps.db, mine.org.id, serials);
    const workflowId = `invalidation-${mine.org.id}-${staged.requestId}`;
    await startJob(h.deps.temporal!, h.deps.config, invalidation, {
      workflowId,
      args: [{ requestId: staged.requestId, organisationId: mine.org.id, expiryTimeMs: staged.expiryTime.getTime(), batch: true, chunkSize: 1000, concurrency: 4 }],
      organisationId: mine.org.id,
      requestId: staged.requestId,
      summary: 'parallel invalidation test',
    });
    const handle = h.deps.temporal!.workflow.getHandle(workflowId);
    const successes = expected.filter((e) => e.status === 'success').length;
    expect(await handle.result()).toMatchObject({ total: 7000, processed: 7000, success: successes, failure: 7000 - successes, done: true });
    expect(await invalidationRows(h.deps.db, staged.requestId)).toEqual(expectedRows(expected));

    const expiredNow = await h.deps.db('passes').where({ organisation_id: mine.org.id, is_expired: true }).whereNotIn('serial_number', preExpired).pluck('expired_timestamp');
    expect(expiredNow).toHaveLength(6000 - 3);
    expect(new Set(expiredNow.map((d: Date) => d.getTime()))).toEqual(new Set([staged.expiryTime.getTime()]));
    expect(await h.deps.db('passes').where({ organisation_id: other.org.id, is_expired: true })).toHaveLength(0);
    const { activities, identities } = await activityWorkers(handle, 'processInvalidationChunk');
    expect(activities).toBe(7);
    expect(identities.size).toBe(2);
  });

  it('invalidation chunks run in reverse order judge repeats the same, and a chunk run again changes nothing', async () => {
    const mine = await passesOf(4);
    const [a, b, c] = mine.serials;
    // Rows 1-2 | 3-4 | 5-6 | 7: the repeats' first rows are in earlier chunks, which run last here.
    const serials = [a, b, a, 'NOPE', b, 'NOPE', c];
    const staged = await stageInvalidation(h.deps.db, mine.org.id, serials);
    const asOf = new Date(staged.expiryTime.getTime() + 1);
    for (const first of [7, 5, 3, 1]) await processInvalidationChunk(h.deps.db, staged.requestId, first, 2, asOf);
    const expected = expectedInvalidation(serials, { ours: new Set(mine.serials), expired: new Map() });
    expect(expected.map((e) => e.error)).toEqual([null, null, `serial number ${a} is already in row 1 of this request`, 'no pass with this serial number in your organisation', `serial number ${b} is already in row 2 of this request`, 'serial number NOPE is already in row 4 of this request', null]);
    const rows = await invalidationRows(h.deps.db, staged.requestId);
    expect(rows).toEqual(expectedRows(expected));

    const before = await h.deps.db('invalidation_requests').where({ id: staged.requestId }).first('processed_count', 'success_count', 'failure_count');
    expect(before).toEqual({ processed_count: 7, success_count: 3, failure_count: 4 });
    const lastModified = await h.deps.db('passes').where({ organisation_id: mine.org.id }).orderBy('id').pluck('last_modified');
    for (const first of [1, 3, 5, 7]) await processInvalidationChunk(h.deps.db, staged.requestId, first, 2, asOf);
    expect(await h.deps.db('invalidation_requests').where({ id: staged.requestId }).first('processed_count', 'success_count', 'failure_count')).toEqual(before);
    expect(await invalidationRows(h.deps.db, staged.requestId)).toEqual(rows);
    expect(await h.deps.db('passes').where({ organisation_id: mine.org.id }).orderBy('id').pluck('last_modified')).toEqual(lastModified);
  });

  it('a chunk activity scheduled by the code before parallel chunks (requestId, size, asOfMs) applies the next pending rows', async () => {
    const mine = await passesOf(5);
    const staged = await stageInvalidation(h.deps.db, mine.org.id, mine.serials);
    const activities = createInvalidationActivities(h.deps);
    const legacy = activities.processInvalidationChunk as unknown as (requestId: string, size: number, asOfMs: number) => ReturnType<typeof activities.processInvalidationChunk>;
    const asOfMs = staged.expiryTime.getTime() + 1;
    expect(await legacy(staged.requestId, 3, asOfMs)).toMatchObject({ total: 5, processed: 3, success: 3, done: false });
    expect(await legacy(staged.requestId, 3, asOfMs)).toMatchObject({ total: 5, processed: 5, success: 5, done: true });
    expect(await h.deps.db('passes').where({ organisation_id: mine.org.id, is_expired: true })).toHaveLength(5);
  });
});
