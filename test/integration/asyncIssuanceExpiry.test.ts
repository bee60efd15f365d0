import crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { buildDeps, closeDeps } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { Deps } from '../../src/deps';
import { cancelAsyncIssuanceRequest, createAsyncIssuanceRequest, resendAsyncIssuanceNotification } from '../../src/jobs/asyncIssuance/actions';
import { ClaimSecrets } from '../../src/jobs/asyncIssuance/claimSecrets';
import { completeAsyncIssuanceClaim } from '../../src/jobs/asyncIssuance/claims';
import { PassLinks } from '../../src/services/passLinks';
import { statusQuery } from '../../src/jobs/asyncIssuance/defs';
import { asyncIssuanceWorkflowId as workflowIdFor } from '../../src/jobs/asyncIssuance/client';
import { createTestOrg, eventually } from '../helpers/harness';
import { createTimeSkippingEnv, registerSearchAttributes, timeSkippingWorker } from '../helpers/timeSkipping';

const DAY = 24 * 3600 * 1000;

/**
 * The issuance-expiry workflow over days, on the time-skipping test server: the real service
 * functions the API calls, the real activities and PostgreSQL, with Temporal's clock skipped.
 * Requests are received at the test server's clock, which runs ahead of the wall clock once skipped.
 */
describe('issuance-expiry workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let deps: Deps;
  let worker: Worker;
  let running: Promise<void>;
  let t: Awaited<ReturnType<typeof createTestOrg>>;
  const principal = () => ({ org: t.org.id, email: 'issuer@example.test', roles: ['Owner' as const] });

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    await registerSearchAttributes(env);
    const taskQueue = `async-issuance-${crypto.randomUUID()}`;
    const config = { ...loadConfig(), temporal: { ...loadConfig().temporal, taskQueue } };
    deps = { ...(await buildDeps(config, { databaseUrl: config.databaseUrl! })), temporal: env.client };
    worker = await timeSkippingWorker(env, deps, taskQueue, {
    });
    running = worker.run();
    t = await createTestOrg(deps);
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    if (deps) await closeDeps({ ...deps, temporal: undefined }); // env.teardown closes the client
    await env?.teardown();
  });

  async function create(expiry: 'ONE_DAY' | 'SEVEN_DAYS' = 'SEVEN_DAYS') {
    const receivedAt = new Date(await env.currentTimeMs());
    const row = await createAsyncIssuanceRequest(
      deps,
      principal(),
      {
        contract: { id: t.design.id },
        identity: { name: 'Grace Hopper', email: 'grace@example.test' },
        expiry,
        contact: { notification: { email: 'grace@example.test' } },
        dynamicFields: { membership_number: '1906' },
      },
      receivedAt,
    );
    return { row, handle: env.client.workflow.getHandle(workflowIdFor(row.id)), receivedAt };
  }
  const claimDeps = () => ({ deps, secrets: new ClaimSecrets(deps.config), links: new PassLinks(deps.config) });
  const statusOf = async (id: string) => (await deps.db('async_issuance_requests').where({ id }).first('status')).status;
  const invitations = async (id: string) => deps.db('async_issuance_communications').where({ request_id: id, purpose: 'INVITATION' });

  it('a SEVEN_DAYS request with no claim is EXPIRED at 7 days, not before', async () => {
    const { row, handle, receivedAt } = await create('SEVEN_DAYS');
    expect(row.expires_on.getTime() - receivedAt.getTime()).toBe(7 * DAY);

    await env.sleep(7 * DAY - 60_000);
    expect(await statusOf(row.id)).toBe('PENDING');
    expect((await handle.query(statusQuery)).status).toBe('PENDING');

    expect(await handle.result()).toBe('EXPIRED');
    expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(row.expires_on.getTime());
    const expired = await deps.db('async_issuance_requests').where({ id: row.id }).first();
    expect(expired).toMatchObject({ status: 'EXPIRED', issuance_pass_id: null, notification_email: null, failure_reason: null });
    await expect(completeAsyncIssuanceClaim(claimDeps(), new ClaimSecrets(deps.config).claimToken(row.id))).rejects.toThrow(
      'claimToken: this async issuance request is EXPIRED: it can no longer be claimed',
    );
  });

  it('a claim on day 3 completes it with a pass', async () => {
    const { row, handle } = await create('SEVEN_DAYS');
    await env.sleep(3 * DAY);
    expect(await statusOf(row.id)).toBe('PENDING');
    const claim = await completeAsyncIssuanceClaim(claimDeps(), new ClaimSecrets(deps.config).claimToken(row.id));
    expect(claim).toMatchObject({ status: 'COMPLETED', passDownloadLink: expect.stringContaining('/pass-download?details=') });
    expect(await handle.result()).toBe('COMPLETED');
    const done = await deps.db('async_issuance_requests').where({ id: row.id }).first();
    const pass = await deps.db('passes').where({ id: done.issuance_pass_id }).first();
    expect(pass).toMatchObject({ pass_design_id: t.design.id, dynamic_field_data: { membership_number: '1906', membership_name: 'Grace Hopper' } });
    expect(pass.serial_number.startsWith(t.prefix)).toBe(true);
  });

  it('cancel, then resend fails', async () => {
    const { row, handle } = await create('ONE_DAY');
    await eventually(async () => (await invitations(row.id)).length === 1);
    await env.sleep(3_600_000);
    expect((await cancelAsyncIssuanceRequest(deps, principal(), row.id)).status).toBe('CANCELLED');
    expect(await handle.result()).toBe('CANCELLED');
    await expect(resendAsyncIssuanceNotification(deps, principal(), row.id)).rejects.toThrow(
      `id: cannot resend the notification: async issuance request ${row.id} is CANCELLED, a final status; no further actions can be taken`,
    );
    expect(await invitations(row.id)).toHaveLength(1);
  });

  it('a resend adds a communication', async () => {
    const { row, handle } = await create('SEVEN_DAYS');
    await eventually(async () => (await invitations(row.id)).length === 1);
    await env.sleep(2 * DAY);
    const after = await resendAsyncIssuanceNotification(deps, principal(), row.id);
    expect(after).toMatchObject({ status: 'PENDING', updated_by: 'issuer@example.test' });
    expect(await invitations(row.id)).toHaveLength(2);
    expect((await handle.query(statusQuery)).sends).toBe(1);
    // And it still expires on time.
    expect(await handle.result()).toBe('EXPIRED');
  });
});
