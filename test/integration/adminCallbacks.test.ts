import crypto from 'node:crypto';
import { enqueueCallback } from '../../src/services/callbacks/deliveries';
import { OrganisationId, RequestId } from '../../src/temporal/searchAttributeKeys';
import { adminCli } from '../helpers/adminCli';
import { createTestOrg, Harness, startHarness } from '../helpers/harness';

/** The runbook's "retry a failed callback", through the real admin CLI. */
describe('admin CLI: callback list / retry', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const admin = (...args: string[]) => adminCli({ TEMPORAL_TASK_QUEUE: h.taskQueue })(...args);

  it('lists a given-up callback and delivers it again with the same webhook-id', async () => {
    const { org } = await createTestOrg(h.deps);
    const id = `msg_${crypto.randomUUID()}`;
    await enqueueCallback(h.deps.db, { id, organisationId: org.id, kind: 'distribution.completed', url: `${h.receiverUrl}/hook`, signing: 'standard-webhooks', payload: { requestID: 'r1', successCount: 3 } });
    // As after three days of refusals.
    await h.deps.db('callback_deliveries').where({ id }).update({ status: 'failed', attempts: 70, last_error: 'HTTP 503' });

    const list = await admin('callback', 'list', '--org', org.id, '--status', 'failed');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${id}  distribution.completed  failed  attempts=70`);
    expect(list.stdout).toContain('last error: HTTP 503');

    h.receiver.requests.length = 0;
    const retry = await admin('callback', 'retry', '--id', id);
    expect(retry.stderr).toBe('');
    expect(retry.stdout).toContain(`Callback ${id} (was failed) is being delivered again: workflow ${id}`);
    const handle = h.deps.temporal!.workflow.getHandle(id);
    expect(await handle.result()).toBe('delivered');
    const d = await handle.describe();
    expect(d.typedSearchAttributes.get(OrganisationId)).toBe(org.id);
    expect(d.typedSearchAttributes.get(RequestId)).toBe(id);
    expect(await d.staticSummary()).toBe(`Operator retry of distribution.completed callback ${id} (was failed)`);

    const mine = h.receiver.requests.filter((r) => r.headers['webhook-id'] === id);
    expect(mine).toHaveLength(1);
    expect(JSON.parse(mine[0].body)).toEqual({ requestID: 'r1', successCount: 3 });
    expect(await h.deps.db('callback_deliveries').where({ id }).first()).toMatchObject({ status: 'delivered', attempts: 71, last_error: null });

    const delivered = await admin('callback', 'list', '--org', org.id, '--status', 'delivered');
    expect(delivered.stdout).toContain(`${id}  distribution.completed  delivered  attempts=71`);
  });

  it('explains bad requests', async () => {
    const unknown = await admin('callback', 'retry', '--id', 'msg_nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: id: no callback delivery "msg_nope"');
    const badStatus = await admin('callback', 'list', '--org', 'some-org', '--status', 'lost');
    expect(badStatus.stderr).toContain('--status: must be pending, retrying, delivered or failed');
    const noId = await admin('callback', 'retry');
    expect(noId.stderr).toContain('--id: is required');
  });
});
