import { WorkerProcess } from '../../src/dev/workerProcess';
import { createTestOrg, eventually, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import { NotificationServers, startNotificationServers } from '../helpers/notifications';

describe('email delivery survives a worker crash', () => {
  let h: Harness;
  let servers: NotificationServers;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    servers = await startNotificationServers();
    h = await startHarness({ worker: false });
  });
  afterAll(async () => {
    for (const w of workers) await w.kill();
    await h.close();
    await servers.close();
  });

  const newWorker = async () => {
    // The worker process inherits SMTP_URL / SMS_* from startNotificationServers.
    const w = new WorkerProcess({ TEMPORAL_TASK_QUEUE: h.taskQueue, WORKFLOW_BUNDLE_PATH: process.env.STEWARD_TEST_WORKFLOW_BUNDLE!, NOTIFY_CHUNK_SIZE: '200' });
    workers.push(w);
    await w.start();
    return w;
  };

  it('SIGKILL during a 1,000-email batch, restart: every Message-ID arrives, none is lost, none without its row', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const first = await newWorker();
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      externalReferenceID: `e${i}`,
      dynamicFields: { membership_number: `${i}`, membership_name: 'N' },
      deliveryMethod: 'Email',
      deliveryAddress: `member${i}@${org.id}.test`,
    }));
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }`, { i: { title, passDetails: rows } });
    const requestId = /request ([0-9a-f-]{36})/.exec(res.body.data.distributePassBatch.message)![1];
    const ours = () => servers.mail.messages.filter((m) => m.to[0].endsWith(`@${org.id}.test`) && m.to[0].startsWith('member'));

    await eventually(async () => ours().length >= 150 || undefined, 120_000, 20);
    await first.kill('SIGKILL');
    const atKill = ours().length;
    expect(atKill).toBeLessThan(1000); // really cut off mid-delivery

    await newWorker();
    const result = await h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestId}`).result();
    expect(result).toMatchObject({ success: 1000, delivery: { total: 1000, sent: 1000, failed: 0, pending: 0 } });

    const outbox = await h.deps.db('notification_outbox').where({ dispatch_key: `distribution-${requestId}` }).select('id', 'status');
    const expected = new Set(outbox.map((o: { id: string }) => `<${o.id}@steward.test>`));
    const received = ours().map((m) => m.messageId);
    const distinct = new Set(received);
    // Counted by Message-ID at the receiver: each of the 1,000 exactly once, nothing else.
    expect(distinct.size).toBe(1000);
    expect([...distinct].every((id) => expected.has(id))).toBe(true);
    // Copies re-sent after the crash carry the same Message-ID; at most the messages in flight or not yet recorded.
    const copies = received.length - distinct.size;
    expect(copies).toBeLessThanOrEqual(70);
    console.log(`worker killed after ${atKill} emails; ${copies} re-sent copies (same Message-ID) after the restart`);
  });
});
