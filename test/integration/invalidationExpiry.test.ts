import crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { buildDeps, closeDeps } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { Deps } from '../../src/deps';
import { distributeIndividual } from '../../src/services/distribution';
import { invalidateIndividual } from '../../src/jobs/invalidation/service';
import { startInvalidation } from '../../src/jobs/invalidation/client';
import { PassLinks } from '../../src/services/passLinks';
import { createTestOrg } from '../helpers/harness';
import { createTimeSkippingEnv, registerSearchAttributes, timeSkippingWorker } from '../helpers/timeSkipping';

const DAY = 24 * 3600 * 1000;

/**
 * Durable expiry timers over months, on the time-skipping test server: the service functions the
 * API calls, the real workflow, activities and PostgreSQL, with Temporal's clock skipped.
 */
describe('invalidation expiry timers (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let deps: Deps;
  let worker: { worker: Worker; running: Promise<void> } | undefined;
  const taskQueue = `invalidation-${crypto.randomUUID()}`;

  const startWorker = async () => {
    const w = await timeSkippingWorker(env, deps, taskQueue, {
      // No sticky cache: a restarted worker rebuilds every workflow from its history (the time-skipping
      // server does not expire a dead worker's sticky queue while time is skipped).
      maxCachedWorkflows: 0,
    });
    worker = { worker: w, running: w.run() };
  };
  const stopWorker = async () => {
    worker?.worker.shutdown();
    await worker?.running;
    worker = undefined;
  };

  beforeAll(async () => {
    const base = loadConfig();
    const config = { ...base, temporal: { ...base.temporal, taskQueue } };
    deps = await buildDeps(config, { databaseUrl: config.databaseUrl! });
  });
  afterAll(async () => {
    if (deps) await closeDeps({ ...deps, temporal: undefined });
    await env?.teardown();
  });

  async function passes(n: number) {
    const t = await createTestOrg(deps);
    const principal = { org: t.org.id, email: 'ops@example.test', roles: ['Owner' as const] };
    const passDetails = Array.from({ length: n }, (_, i) => ({ externalReferenceID: `e${i}`, dynamicFields: { membership_number: `${i}`, membership_name: 'N' } }));
    const r = await distributeIndividual(deps.db, new PassLinks(deps.config), principal, { title: t.title, passDetails });
    return { principal, serials: r.successList.map((p) => p.serialNumber) };
  }

  async function invalidateAt(principal: { org: string; email: string; roles: 'Owner'[] }, serials: string[], expiryTime: Date) {
    const r = await invalidateIndividual(deps.db, principal, { serialNumbers: serials, expiryTime });
    await startInvalidation({ ...deps, temporal: env.client }, principal.org, r.requestId, expiryTime, false);
    return { ...r, handle: env.client.workflow.getHandle(`invalidation-${principal.org}-${r.requestId}`) };
  }

  const expiredFlags = async (serials: string[]) =>
    (await deps.db('passes').whereIn('serial_number', serials).orderBy('serial_number').select('is_expired', 'expired_timestamp')) as { is_expired: boolean; expired_timestamp: Date }[];

  beforeEach(async () => {
    // Each case starts from the wall clock: passes are created (and checked) at real time.
    await env?.teardown();
    env = await createTimeSkippingEnv();
    await registerSearchAttributes(env);
    deps = { ...deps, temporal: env.client };
    await startWorker();
  });
  afterEach(stopWorker);

  it('expires the passes 200 days ahead at that time and not before', async () => {
    const { principal, serials } = await passes(3);
    const expiryTime = new Date((await env.currentTimeMs()) + 200 * DAY);
    const { handle, response, requestId } = await invalidateAt(principal, serials, expiryTime);
    expect(response.successList).toEqual(serials);

    await env.sleep(199 * DAY);
    expect((await expiredFlags(serials)).every((p) => !p.is_expired)).toBe(true);

    await env.sleep(1 * DAY + 60_000);
    const result = await handle.result();
    expect(result).toMatchObject({ expired: 3 });
    expect(await expiredFlags(serials)).toEqual(serials.map(() => ({ is_expired: true, expired_timestamp: expiryTime })));
    expect(await deps.db('invalidation_requests').where({ id: requestId }).first()).toMatchObject({ status: 'Complete' });
  });

  it('still fires at the right time when the worker is restarted in between', async () => {
    const { principal, serials } = await passes(2);
    const expiryTime = new Date((await env.currentTimeMs()) + 200 * DAY);
    const { handle } = await invalidateAt(principal, serials, expiryTime);

    await env.sleep(100 * DAY);
    await stopWorker();
    await env.sleep(50 * DAY); // the timer keeps running in the server with no worker at all
    await startWorker();
    await env.sleep(49 * DAY);
    expect((await expiredFlags(serials)).every((p) => !p.is_expired)).toBe(true);

    await env.sleep(1 * DAY + 60_000);
    await handle.result();
    expect((await expiredFlags(serials)).every((p) => p.is_expired)).toBe(true);
  });

  it("refuses a pass whose expiry would pass its creation anniversary + 1 year, and accepts a fresh one", async () => {
    const { principal, serials } = await passes(2);
    const [fresh, old] = serials;
    await deps.db('passes').where({ serial_number: old }).update({ created_at: new Date((await env.currentTimeMs()) - 700 * DAY) });
    const expiryTime = new Date((await env.currentTimeMs()) + 420 * DAY);
    const { response, handle } = await invalidateAt(principal, [fresh, old], expiryTime);
    expect(response.successList).toEqual([fresh]);
    expect(response.failureList).toEqual([{ serialNumber: old, error: expect.stringMatching(/is after this pass's limit/) }]);
    await env.sleep(421 * DAY);
    await handle.result();
    const rows = await deps.db('passes').whereIn('serial_number', [fresh, old]).select('serial_number', 'is_expired');
    expect(Object.fromEntries(rows.map((r) => [r.serial_number, r.is_expired]))).toEqual({ [fresh]: true, [old]: false });
  });
});
