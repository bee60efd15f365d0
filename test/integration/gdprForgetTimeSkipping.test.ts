import crypto from 'node:crypto';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildDeps, closeDeps } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { Deps } from '../../src/deps';
import { MAX_FORGET_GRACE_MS } from '../../src/domain/forget';
import { distributeIndividual } from '../../src/services/distribution';
import { recordForgetRequest } from '../../src/jobs/forget/service';
import { PassLinks } from '../../src/services/passLinks';
import { createTestOrg } from '../helpers/harness';
import { createTimeSkippingEnv, registerSearchAttributes, codecWorkerOptions, timeSkippingWorker } from '../helpers/timeSkipping';

describe('forget workflow on a time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let deps: Deps;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `forget-${crypto.randomUUID()}`;

  beforeAll(async () => {
    const config = loadConfig();
    env = await createTimeSkippingEnv({ encryptWith: config });
    await registerSearchAttributes(env);
    deps = await buildDeps(config, { databaseUrl: config.databaseUrl! });
    worker = await timeSkippingWorker(env, deps, taskQueue, {
      ...codecWorkerOptions(deps.config),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    if (deps) await closeDeps(deps);
    await env?.teardown();
  });

  /** Server time from the workflow's start to the scheduling of the erasure activity, from its history. */
  async function erasureDelay(workflowId: string): Promise<number> {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const ms = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null } | undefined) => Number(e!.eventTime!.seconds) * 1000 + Math.floor((e!.eventTime!.nanos ?? 0) / 1e6);
    const erase = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'erasePassPersonalData');
    return ms(erase) - ms(history.events![0]);
  }

  async function newPass() {
    const t = await createTestOrg(deps);
    const r = await distributeIndividual(deps.db, new PassLinks(deps.config), { org: t.org.id, email: 'ops@example.test', roles: ['Owner'] }, {
      title: t.title,
      passDetails: [{ externalReferenceID: 'person-1', dynamicFields: { membership_number: '42', membership_name: 'Jane Doe' } }],
    });
    return deps.db('passes').where({ serial_number: r.successList[0].serialNumber }).first();
  }

  it('expires at once, keeps the details through the 24 h default grace period, erases them before 3 days', async () => {
    expect(deps.config.forgetGracePeriodMs).toBe(24 * 3600 * 1000); // the default
    const pass = await newPass();
    await recordForgetRequest(deps.db, pass, 'ops@example.test', deps.config.forgetGracePeriodMs);
    const client = env.client;
    const handle = await client.workflow.start('forgetPass', {
      taskQueue,
      workflowId: `forget-${pass.id}`,
      args: [{ passId: pass.id, organisationId: pass.organisation_id, gracePeriodMs: deps.config.forgetGracePeriodMs }],
    });

    await env.sleep('23 hours');
    const during = await deps.db('passes').where({ id: pass.id }).first();
    expect(during).toMatchObject({ is_expired: true, forgotten_at: null, external_reference_id: 'person-1' });

    const result = await handle.result();
    const elapsed = await erasureDelay(`forget-${pass.id}`);
    expect(elapsed).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    expect(elapsed).toBeLessThan(MAX_FORGET_GRACE_MS);
    expect(result.erased.passes).toBe(1);
    const after = await deps.db('passes').where({ id: pass.id }).first();
    expect(after).toMatchObject({ is_expired: true, external_reference_id: '', dynamic_field_data: {} });
    expect(after.forgotten_at).toBeInstanceOf(Date);
  });

  it('never waits beyond 3 days, whatever grace period it is given', async () => {
    const pass = await newPass();
    const client = env.client;
    await client.workflow.execute('forgetPass', {
      taskQueue,
      workflowId: `forget-${pass.id}`,
      args: [{ passId: pass.id, organisationId: pass.organisation_id, gracePeriodMs: 30 * 86_400_000 }],
    });
    const elapsed = await erasureDelay(`forget-${pass.id}`);
    expect(elapsed).toBeGreaterThanOrEqual(MAX_FORGET_GRACE_MS - 60_000);
    expect(elapsed).toBeLessThanOrEqual(MAX_FORGET_GRACE_MS + 60_000);
    expect((await deps.db('passes').where({ id: pass.id }).first()).forgotten_at).toBeInstanceOf(Date);
  });
});
