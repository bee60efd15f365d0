import crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildDeps, closeDeps } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { Deps } from '../../src/deps';
import { generateRecords } from '../../src/services/dci/generate';
import { updateRecord, upsertRecords } from '../../src/services/dci/records';
import { registerSubscriptions } from '../../src/services/dci/subscriptions';
import { CONTINUE_AS_NEW_AFTER_EVENTS } from '../../src/jobs/dci/workflow';
import { createSender, expr, verifyWithStewardKey } from '../helpers/dciClient';
import { expectValidCallback } from '../helpers/dciSpec';
import { CallbackReceiver } from '../helpers/receiver';
import { createTimeSkippingEnv, timeSkippingWorker } from '../helpers/timeSkipping';

/** Temporal's suggestion to continue as new comes at 4,096 events (limit.historyCount.suggestContinueAsNew). */
const SUGGESTED_CONTINUE_AS_NEW_EVENTS = 4096;

describe('DCI subscription over 6 months (time skipped)', () => {
  let env: TestWorkflowEnvironment;
  let deps: Deps;
  let receiver: CallbackReceiver;
  let url: string;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    const config = loadConfig();
    deps = await buildDeps(config, { databaseUrl: config.databaseUrl! });
    receiver = new CallbackReceiver();
    url = `${await receiver.start()}/cb`;
  });
  afterAll(async () => {
    await receiver.close();
    await closeDeps(deps);
    await env?.teardown();
  });

  it('fires daily for 6 months across a worker restart, notifies only when something matched, keeps each run\'s history small, ends at end_time with on-unsubscribe', async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    const sender = await createSender(deps);
    await upsertRecords(deps.db, 'dr', generateRecords('dr', 4, crypto.randomInt(0, 999_999)).map((r) => ({ ...r, location: `ts-${tag}`, disability_status: 'Pending' })));

    // A subscribe request as the API records it, registered as the subscribe workflow's first step does.
    const now = await env.currentTimeMs();
    const correlationId = crypto.randomUUID();
    const criteria = {
      reg_event_type: 'REGISTER',
      frequency: { start_time: new Date(now).toISOString(), end_time: new Date(now + 182 * 24 * 3600_000).toISOString(), frequency: '0 0 2 * * ?' },
      filter_type: 'expression',
      filter: expr({ $and: [{ location: `ts-${tag}` }, { disability_status: 'Approved' }] }),
      notify_record_type: 'spdci-extensions-dci:DisabledPerson',
    };
    await deps.db('dci_transactions').insert({
      correlation_id: correlationId,
      registry: 'dr',
      sender_id: sender.id,
      message_id: correlationId,
      action: 'subscribe',
      transaction_id: `ts-${tag}`,
      digest: 'x',
      sender_uri: url,
      request: JSON.stringify({ transaction_id: `ts-${tag}`, subscribe_request: [{ reference_id: 'ts-1', timestamp: new Date().toISOString(), subscribe_criteria: criteria }] }),
    });
    const { codes } = await registerSubscriptions(deps, correlationId);
    expect(codes).toHaveLength(1);
    const [code] = codes;

    // Two records come to match before the first firing; nothing changes afterwards.
    const rows = await deps.db('registry_records').where({ registry: 'dr' }).whereRaw('record @> ?::jsonb', [JSON.stringify({ location: `ts-${tag}` })]).orderBy('identifier');
    for (const row of rows.slice(0, 2)) await updateRecord(deps.db, 'dr', row.id, { disability_status: 'Approved' }, 'merge');

    const worker = (opts: { sticky: boolean }) =>
      timeSkippingWorker(env, deps, 'dci-time-skipping', {
        // A stopped worker's sticky queue would hold the next task, and the test server never times it out.
        ...(opts.sticky ? {} : { maxCachedWorkflows: 0 }),
      });
    const workflowId = `dci-subscription/dr/${code}`;
    const wallStart = Date.now();
    const handle = await env.client.workflow.start('dciSubscription', { args: [{ code }], taskQueue: 'dci-time-skipping', workflowId });
    // Two months on one worker, which then stops; another worker carries the subscription on.
    await (await worker({ sticky: false })).runUntil(async () => {
      for (let day = 0; day < 60; day++) await env.sleep('1 day'); // (one long sleep stalls the test server)
    });
    const midway = await deps.db('dci_subscription_firings').where({ code }).count<{ count: string }[]>({ count: '*' }).first();
    expect(Number(midway!.count)).toBeGreaterThanOrEqual(58);
    expect(Number(midway!.count)).toBeLessThan(100);
    const result = await (await worker({ sticky: true })).runUntil(handle.result());
    expect(result).toBe('ended');
    // Six months in minutes: the timers were skipped (about a minute alone; more on a shared, loaded machine).
    expect(Date.now() - wallStart).toBeLessThan(540_000);

    // One firing a day (182 days), one notify (the first firing), the rest silent.
    const firings = await deps.db('dci_subscription_firings').where({ code }).orderBy('fired_at');
    expect(firings.length).toBeGreaterThanOrEqual(181);
    expect(firings.length).toBeLessThanOrEqual(183);
    expect(firings.filter((f) => f.record_count > 0).map((f) => f.record_count)).toEqual([2]);
    const mine = receiver.requests.map((r) => JSON.parse(r.body)).filter((b) => b.header.meta?.subscription_code === code);
    expect(mine.map((b) => b.header.action)).toEqual(['notify', 'on-unsubscribe']);
    for (const b of mine) {
      expectValidCallback('dr', b);
      expect(await verifyWithStewardKey(deps, b)).toBe(true);
    }
    expect(mine[0].message.notify_event.map((e: any) => e.data.reg_records.personal_details.identifier).sort()).toEqual(rows.slice(0, 2).map((r) => r.identifier).sort());
    expect(mine[1].message).toMatchObject({ status: 'succ', subscription_status: [{ code, status: 'unsubscribe' }] });
    expect(await deps.db('dci_subscriptions').where({ code }).first()).toMatchObject({ status: 'unsubscribe', end_reason: 'ended' });

    // Every run of the workflow stays far below Temporal's continue-as-new suggestion.
    const lengths: number[] = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    while (runId) {
      const history: { events?: { workflowExecutionContinuedAsNewEventAttributes?: { newExecutionRunId?: string | null } | null }[] | null } =
        await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const events = history.events ?? [];
      lengths.push(events.length);
      runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    expect(lengths.length).toBeGreaterThan(1);
    for (const n of lengths) expect(n).toBeLessThan(CONTINUE_AS_NEW_AFTER_EVENTS + 100);
    expect(Math.max(...lengths)).toBeLessThan(SUGGESTED_CONTINUE_AS_NEW_EVENTS);
  }, 600_000); // 182 daily firings: about a minute alone, over five at load 35+ on the team's shared machine
});
