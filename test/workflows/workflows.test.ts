import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import type { BatchProgress } from '../../src/services/batchRequests';
import fs from 'node:fs';
import path from 'node:path';
import { NOTHING_TO_DELIVER, NOTHING_TO_PUSH, recorder, replayHistory, startWorkflowTestEnv, WorkflowTestEnv } from './helpers';

const DAY = 86_400_000;
const progress = (processed: number, total: number, failure = 0): BatchProgress => ({ total, processed, success: processed - failure, failure, done: processed >= total });

/**
 * Each workflow's orchestration with stub activities on the time-skipping server: the order of its
 * steps, retries, continue-as-new and cancellation, in seconds. What the activities do to
 * PostgreSQL is the integration suite's part (test/integration).
 */
describe('workflows with stub activities (time-skipping)', () => {
  let t: WorkflowTestEnv;
  // A server per test: a child a workflow abandoned (notification delivery) would otherwise keep
  // the next test's clock from skipping.
  beforeEach(async () => {
    t = await startWorkflowTestEnv();
  });
  afterEach(() => t?.teardown());

  it('batchDistribution: the first chunk alone, the others in parallel, then results, notifications and the callback', async () => {
    const log: string[] = [];
    const rec = recorder(log);
    let processed = 0;
    const result = await t.withWorker(
      {
        processDistributionChunk: rec('chunk', async (_id: string, firstRow: number, size: number) => {
          processed += Math.min(size, 5 - firstRow + 1);
          return { ...progress(processed, 5, 1), earliestExpiryMs: null };
        }),
        finalizeDistribution: rec('finalize', async () => ({ callbackId: 'msg_1' })),
        deliverCallback: rec('deliverCallback', async () => ({ status: 200 })),
        markCallbackFailed: rec('markCallbackFailed', async () => undefined),
        deliverNotificationChunk: async () => NOTHING_TO_DELIVER,
      },
      (taskQueue) => t.env.client.workflow.execute('batchDistribution', { taskQueue, workflowId: `d-${taskQueue}`, args: [{ requestId: 'r1', organisationId: 'o1', chunkSize: 2 }] }),
    );
    // Rows 1-2 first (to learn the total), then rows 3-4 and 5 in flight together, in either order.
    expect(log[0]).toBe('chunk("r1", 1, 2)');
    expect(log.slice(1, 3).sort()).toEqual(['chunk("r1", 3, 2)', 'chunk("r1", 5, 2)']);
    expect(log.slice(3)).toEqual(['finalize("r1")', 'deliverCallback("msg_1")']);
    expect(result).toMatchObject({ total: 5, processed: 5, success: 4, failure: 1, done: true, callback: 'delivered' });
  });

  it('a chunk that fails is retried by its activity policy, and the batch completes', async () => {
    let attempts = 0;
    const result = await t.withWorker(
      {
        processInvalidationChunk: async () => {
          if (++attempts < 3) throw ApplicationFailure.retryable('database restarting', 'ConnectionLost');
          return progress(3, 3);
        },
        finalizeInvalidation: async () => ({ callbackId: null, scheduled: false }),
        deliverNotificationChunk: async () => NOTHING_TO_DELIVER,
        pushWalletUpdates: async () => NOTHING_TO_PUSH,
      },
      (taskQueue) =>
        t.env.client.workflow.execute('invalidation', { taskQueue, workflowId: `i-${taskQueue}`, args: [{ requestId: 'r2', organisationId: 'o1', expiryTimeMs: 0, batch: true }] }),
    );
    expect(attempts).toBe(3);
    expect(result).toMatchObject({ processed: 3, expired: 0, callback: 'none' });
  });

  const invalidationStubs = (log: string[]) => {
    const rec = recorder(log);
    return {
      processInvalidationChunk: rec('chunk', async () => progress(2, 2)),
      finalizeInvalidation: rec('finalize', async () => ({ callbackId: null, scheduled: true })),
      expireScheduledInvalidation: rec('expire', async () => ({ expired: 2 })),
      deliverNotificationChunk: async () => NOTHING_TO_DELIVER,
      // Wallets hear of the scheduled expiry date after the chunks and of the expiry when it fires.
      pushWalletUpdates: rec('push', async () => NOTHING_TO_PUSH),
    };
  };

  it('invalidation: a future expiry fires after its durable timer (200 days skipped)', async () => {
    const log: string[] = [];
    const result = await t.withWorker(invalidationStubs(log), async (taskQueue) => {
      const start = await t.env.currentTimeMs();
      const fired = await t.env.client.workflow.execute('invalidation', {
        taskQueue,
        workflowId: `i-${taskQueue}`,
        args: [{ requestId: 'r3', organisationId: 'o1', expiryTimeMs: start + 200 * DAY, batch: false }],
      });
      return { fired, skipped: (await t.env.currentTimeMs()) - start };
    });
    expect(result.fired).toMatchObject({ expired: 2 });
    expect(result.skipped).toBeGreaterThanOrEqual(200 * DAY);
    expect(log.map((l) => l.slice(0, l.indexOf('(')))).toEqual(['chunk', 'push', 'expire', 'push']);
  });

  it('invalidation: a history recorded before parallel chunks (two serial chunks, a 30-day timer) replays with today\'s code', async () => {
    // Recorded with the code before the `parallel-chunks` patch: a request waiting on its expiry
    // timer at deploy time must replay its serial chunks as recorded.
    const recorded = fs.readFileSync(path.join(__dirname, '../fixtures/histories/invalidation-serial-chunks.pb'));
    await expect(replayHistory(recorded)).resolves.toBeUndefined();
  });

  it('invalidation: cancelled while it waits for its expiry, it never expires the passes', async () => {
    const log: string[] = [];
    await t.withWorker(invalidationStubs(log), async (taskQueue) => {
      const handle = await t.env.client.workflow.start('invalidation', {
        taskQueue,
        workflowId: `i2-${taskQueue}`,
        args: [{ requestId: 'r4', organisationId: 'o1', expiryTimeMs: (await t.env.currentTimeMs()) + 30 * DAY, batch: false }],
      });
      // Wait until it sleeps on its timer, then cancel it.
      while (!(await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes)) await new Promise((r) => setTimeout(r, 100));
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
    });
    expect(log.map((l) => l.slice(0, l.indexOf('(')))).toEqual(['chunk', 'push']);
  });

  it('dciSubscription: the unsubscribe signal ends it between firings, without another firing', async () => {
    let firings = 0;
    const result = await t.withWorker(
      {
        dciSubscriptionSchedule: async () => ({ registry: 'dr', status: 'subscribe', frequency: '0 0 * * *', startMs: 0, endMs: (await t.env.currentTimeMs()) + 365 * DAY }),
        dciFireAndNotify: async () => {
          firings++;
          return { ended: false, notifies: [] };
        },
      },
      async (taskQueue) => {
        const handle = await t.env.client.workflow.start('dciSubscription', { taskQueue, workflowId: `u-${taskQueue}`, args: [{ code: 'c2' }] });
        while (!(await handle.fetchHistory()).events?.some((e) => e.timerStartedEventAttributes)) await new Promise((r) => setTimeout(r, 50));
        await handle.signal('unsubscribe');
        return handle.result();
      },
    );
    expect(result).toBe('unsubscribed');
    expect(firings).toBe(0);
  });

  it('dciSubscription: a firing is one local activity; a notify it delivered is not sent again, one it could not goes on to the retries', async () => {
    const log: string[] = [];
    const rec = recorder(log);
    let firings = 0;
    // Half a day past the next midnight: exactly one firing at any time of day (now + 1.5 days
    // held a second midnight whenever the test ran after noon UTC).
    const endMs = Math.floor((await t.env.currentTimeMs()) / DAY) * DAY + 1.5 * DAY;
    const result = await t.withWorker(
      {
        dciSubscriptionSchedule: async () => ({ registry: 'dr', status: 'subscribe', frequency: '0 0 * * *', startMs: 0, endMs }),
        dciFireAndNotify: rec('fire', async () => (firings++ === 0 ? { ended: false, notifies: [{ id: 'n0', attempt: { status: 200 } }, { id: 'n1', attempt: null }] } : { ended: false, notifies: [] })),
        deliverCallback: rec('deliverCallback', async () => ({ status: 200 })),
        dciEndSubscription: rec('end', async () => null),
      },
      (taskQueue) => t.env.client.workflow.execute('dciSubscription', { taskQueue, workflowId: `f-${taskQueue}`, args: [{ code: 'c4' }] }),
    );
    expect(result).toBe('ended');
    expect(log.map((l) => l.replace(/"20\d\d-[^"]+"/, 'T'))).toEqual(['fire("c4", T)', 'deliverCallback("n1")', 'end("c4")']);
  });

  it('dciSubscription: behind its schedule, it fires once, at once, for the latest firing it missed', async () => {
    const fired: number[] = [];
    const startMs = await t.env.currentTimeMs();
    const result = await t.withWorker(
      {
        dciSubscriptionSchedule: async () => ({ registry: 'dr', status: 'subscribe', frequency: '0 0 0 * * ?', startMs: 0, endMs: startMs + 1.5 * DAY }),
        dciFireAndNotify: async (_code: string, firedAt: string) => {
          fired.push(Date.parse(firedAt));
          return { ended: false, notifies: [] };
        },
        dciEndSubscription: async () => null,
      },
      // Its last firing was 3 days ago (a worker down, or tasks queued behind 1,000 others).
      (taskQueue) => t.env.client.workflow.execute('dciSubscription', { taskQueue, workflowId: `late-${taskQueue}`, args: [{ code: 'c5', lastFiredMs: startMs - 3 * DAY }] }),
    );
    expect(result).toBe('ended');
    const lastMidnight = Math.floor(startMs / DAY) * DAY;
    // The two midnights missed are folded into the latest, fired at once; then the schedule goes on.
    expect(fired.slice(0, 2)).toEqual([lastMidnight, lastMidnight + DAY]);
  });

  it('dciSubscription: a history recorded with the two-activity firing (fire, then deliverCallback) still replays', async () => {
    const recorded = fs.readFileSync(path.join(__dirname, '../fixtures/histories/dci-subscription-two-activities.pb'));
    await expect(replayHistory(recorded)).resolves.toBeUndefined();
  });

  it('dciSubscription: continues as new when its history grows, carrying its counts to the next run', async () => {
    let firings = 0;
    // A firing adds ~6 events (timer, one workflow task, the local activity's marker): 250 of them pass 1,000.
    const endMs = (await t.env.currentTimeMs()) + 250 * DAY;
    const { result, firstRunEnd } = await t.withWorker(
      {
        dciSubscriptionSchedule: async () => ({ registry: 'dr', status: 'subscribe', frequency: '0 0 * * *', startMs: 0, endMs }),
        dciFireAndNotify: async () => {
          firings++;
          return { ended: false, notifies: [] };
        },
        dciEndSubscription: async () => null,
      },
      async (taskQueue) => {
        const handle = await t.env.client.workflow.start('dciSubscription', { taskQueue, workflowId: `can-${taskQueue}`, args: [{ code: 'c3' }] });
        const result = await handle.result();
        const firstRun = t.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
        return { result, firstRunEnd: (await firstRun.fetchHistory()).events!.at(-1)! };
      },
    );
    expect(result).toBe('ended');
    expect(firings).toBeGreaterThanOrEqual(249);
    // The first run ended by continuing as new (its history past the limit), handing on its counts.
    const carried = firstRunEnd.workflowExecutionContinuedAsNewEventAttributes;
    expect(carried).toBeDefined();
    const next = JSON.parse(Buffer.from(carried!.input!.payloads![0].data!).toString());
    expect(next).toMatchObject({ code: 'c3', runs: 1 });
    expect(next.firings).toBeGreaterThan(0);
    expect(next.firings).toBeLessThan(firings);
  });

  it('callbackDelivery: a refused callback is not retried; the reason is recorded once', async () => {
    const log: string[] = [];
    const rec = recorder(log);
    const result = await t.withWorker(
      {
        deliverCallback: rec('deliverCallback', async () => {
          throw ApplicationFailure.nonRetryable('address 10.0.0.1 is private', 'CallbackRefused');
        }),
        markCallbackFailed: rec('markCallbackFailed', async () => undefined),
      },
      (taskQueue) => t.env.client.workflow.execute('callbackDelivery', { taskQueue, workflowId: `c-${taskQueue}`, args: ['msg_2'] }),
    );
    expect(result).toBe('failed');
    expect(log).toEqual(['deliverCallback("msg_2")', 'markCallbackFailed("msg_2", "address 10.0.0.1 is private")']);
  });

  it('callbackDelivery: a 2xx the log could not take is recorded by its own retries, never by sending again', async () => {
    const log: string[] = [];
    const rec = recorder(log);
    const unrecorded = { outcome: 'delivered', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 12, statusCode: 200, error: null };
    let recordings = 0;
    const result = await t.withWorker(
      {
        deliverCallback: rec('deliverCallback', async () => ({ status: 200, unrecorded })),
        recordCallbackAttempt: rec('recordCallbackAttempt', async () => {
          if (++recordings < 3) throw ApplicationFailure.retryable('connect ECONNREFUSED', 'ConnectionLost');
        }),
        markCallbackFailed: rec('markCallbackFailed', async () => undefined),
      },
      (taskQueue) => t.env.client.workflow.execute('callbackDelivery', { taskQueue, workflowId: `c-${taskQueue}`, args: ['msg_3'] }),
    );
    expect(result).toBe('delivered');
    expect(log.filter((l) => l.startsWith('deliverCallback'))).toEqual(['deliverCallback("msg_3")']);
    expect(recordings).toBe(3);
  });

  it('scheduledPing (test-only workflow): a 30-day timer in seconds', async () => {
    const wallStart = Date.now();
    const result = await t.withWorker({ databaseTime: async () => '2026-01-01T00:00:00.000Z' }, (taskQueue) =>
      t.env.client.workflow.execute('scheduledPing', { taskQueue, workflowId: `p-${taskQueue}`, args: ['30 days'] }),
    );
    expect(result).toEqual({ firedAt: '2026-01-01T00:00:00.000Z' });
    // Skipped, not slept: 30 days would otherwise never finish (bound generous for a loaded machine).
    expect(Date.now() - wallStart).toBeLessThan(300_000);
  });
});
