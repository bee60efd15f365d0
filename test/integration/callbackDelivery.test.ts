import crypto from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { buildDeps, closeDeps } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { Deps } from '../../src/deps';
import { enqueueCallback } from '../../src/services/callbacks/deliveries';
import { verifyStandardWebhook } from '../../src/services/callbacks/signing';
import { createOrganisation } from '../../src/services/organisations';
import { CallbackReceiver } from '../helpers/receiver';
import { createTimeSkippingEnv, timeSkippingWorker } from '../helpers/timeSkipping';

/** Signed, retried, logged callback delivery against a real HTTP receiver (backoff time skipped). */
describe('callback delivery', () => {
  let env: TestWorkflowEnvironment;
  let deps: Deps;
  let receiver: CallbackReceiver;
  let url: string;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = 'callbacks';

  const start = (config: { allowPrivate: boolean }) => {
    deps.config = { ...deps.config, callbackAllowPrivate: config.allowPrivate };
  };

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    const config = loadConfig();
    deps = await buildDeps(config, { databaseUrl: config.databaseUrl! });
    receiver = new CallbackReceiver();
    url = await receiver.start();
    worker = await timeSkippingWorker(env, deps, taskQueue, {
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await receiver.close();
    await closeDeps(deps);
    await env.teardown();
  });

  async function newDelivery(target: string) {
    const org = await createOrganisation(deps.db, { id: `cb-${crypto.randomBytes(4).toString('hex')}`, name: 'CB' });
    const id = `msg_${crypto.randomUUID()}`;
    await enqueueCallback(deps.db, { id, organisationId: org.id, kind: 'test', url: target, signing: 'standard-webhooks', payload: { requestID: 'r1', successCount: 3 } });
    return { id, org };
  }

  it('retries 500s with backoff and delivers on the 4th attempt with the same webhook-id, all signed and logged', async () => {
    start({ allowPrivate: true });
    const { id, org } = await newDelivery(`${url}/hook`);
    receiver.requests.length = 0;
    receiver.respond = (_r, i) => (i < 3 ? 500 : 200);
    const result = await env.client.workflow.execute('callbackDelivery', { args: [id], taskQueue, workflowId: id });
    expect(result).toBe('delivered');
    expect(receiver.requests).toHaveLength(4);
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([id]));
    for (const r of receiver.requests) expect(verifyStandardWebhook(org.webhook_secret, r.headers, r.body)).toBe(true);
    expect(JSON.parse(receiver.requests[3].body)).toEqual({ requestID: 'r1', successCount: 3 });
    const attempts = await deps.db('callback_attempts').where({ delivery_id: id }).orderBy('attempt');
    expect(attempts.map((a) => [a.attempt, a.status_code])).toEqual([[1, 500], [2, 500], [3, 500], [4, 200]]);
    expect(attempts.every((a) => typeof a.duration_ms === 'number')).toBe(true);
    expect(await deps.db('callback_deliveries').where({ id }).first()).toMatchObject({ status: 'delivered', attempts: 4 });
  });

  it.each(['http://127.0.0.1:9/hook', 'http://169.254.169.254/latest/meta-data/', 'http://localhost:9/x', 'http://10.0.0.5/x'])(
    'refuses %s without retrying when private addresses are not allowed',
    async (target) => {
      start({ allowPrivate: false });
      const { id } = await newDelivery(target);
      const result = await env.client.workflow.execute('callbackDelivery', { args: [id], taskQueue, workflowId: id });
      expect(result).toBe('failed');
      const row = await deps.db('callback_deliveries').where({ id }).first();
      expect(row).toMatchObject({ status: 'failed', attempts: 1 });
      expect(row.last_error).toMatch(/private|loopback|reserved/);
    },
  );

  it('gives up after 3 days of failures and records it', async () => {
    start({ allowPrivate: true });
    const { id } = await newDelivery(`${url}/always-down`);
    receiver.respond = () => 503;
    const before = await env.currentTimeMs();
    const result = await env.client.workflow.execute('callbackDelivery', { args: [id], taskQueue, workflowId: id });
    expect(result).toBe('failed');
    expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(2.9 * 24 * 3600 * 1000);
    const row = await deps.db('callback_deliveries').where({ id }).first();
    expect(row.status).toBe('failed');
    expect(row.attempts).toBeGreaterThan(60); // hourly at the cap, for three days
  });
});
