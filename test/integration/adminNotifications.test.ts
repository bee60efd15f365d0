import { adminCli } from '../helpers/adminCli';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import { NotificationServers, settled, startNotificationServers } from '../helpers/notifications';

jest.setTimeout(300_000); // each command is a fresh tsx process

/** The operator CLI's notification, user and results-email commands, as real processes. */
describe('admin: notification list|retry, user add|remove|list, org update --results-email', () => {
  let h: Harness;
  let servers: NotificationServers;
  let refuse = true;
  beforeAll(async () => {
    servers = await startNotificationServers({ onRecipient: (a) => (refuse && a.startsWith('flaky@') ? { code: 550, message: '5.1.1 no such mailbox' } : null) });
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
    await servers.close();
  });
  const admin = (...args: string[]) => adminCli({ TEMPORAL_TASK_QUEUE: h.taskQueue })(...args);

  it('manages organisation users and the results-email switch, refusing bad flags by name', async () => {
    const { org } = await createTestOrg(h.deps);
    expect((await admin('user', 'add', '--org', org.id, '--email', 'Boss@Example.test', '--roles', 'Owner,Admin')).stdout).toContain('User boss@example.test of');
    expect((await admin('user', 'add', '--org', org.id, '--email', 'dev@example.test', '--roles', 'Api-Dev')).code).toBe(0);
    expect((await admin('user', 'remove', '--org', org.id, '--email', 'dev@example.test')).code).toBe(0);
    expect((await admin('user', 'list', '--org', org.id)).stdout).toBe('boss@example.test  Owner,Admin\n');

    const badRole = await admin('user', 'add', '--org', org.id, '--email', 'x@example.test', '--roles', 'Owner,Janitor');
    expect(badRole).toMatchObject({ code: 2, stderr: expect.stringContaining('--roles: each role must be one of Owner, Admin, Pass-Issuer, Api-Dev') });
    const noUser = await admin('user', 'remove', '--org', org.id, '--email', 'ghost@example.test');
    expect(noUser.stderr).toContain(`--email: ghost@example.test is not a user of ${org.id}`);

    const off = await admin('org', 'update', '--id', org.id, '--results-email', 'off');
    expect(off.stdout).toContain('results email:  off');
    expect((await h.deps.db('organisations').where({ id: org.id }).first()).results_email).toBe(false);
    expect((await admin('org', 'update', '--id', org.id, '--results-email', 'maybe')).stderr).toContain('--results-email: must be on or off');
  });

  it('lists messages with status, attempts and last error; retry sends a failed one again with the same Message-ID', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } } }`, {
      i: { title, passDetails: [{ externalReferenceID: 'a', dynamicFields: { membership_number: '1', membership_name: 'A' }, deliveryMethod: 'Email', deliveryAddress: `flaky@${org.id}.test` }] },
    });
    const [failed] = await settled(h.deps, { organisation_id: org.id });
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });

    const list = await admin('notification', 'list', '--org', org.id, '--status', 'failed');
    expect(list.stdout).toContain(`${failed.id}  pass-delivery  Email  flaky@${org.id}.test  failed  attempts=1`);
    expect(list.stdout).toContain('last error: SMTP 550 at RCPT TO: 550 5.1.1 no such mailbox');

    refuse = false; // the mailbox exists now
    const retry = await admin('notification', 'retry', '--id', failed.id);
    expect(retry).toMatchObject({ code: 0, stdout: expect.stringContaining('1 message(s) queued again') });
    const [sent] = await settled(h.deps, { organisation_id: org.id });
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    expect(servers.mail.messages.filter((m) => m.messageId === `<${failed.id}@steward.test>`)).toHaveLength(1);
    expect((await admin('notification', 'retry', '--id', failed.id)).stderr).toContain('was sent already');
    expect((await admin('notification', 'retry')).stderr).toContain('give either --id <notificationId> or --org <id>');
    expect((await admin('notification', 'list', '--org', org.id, '--status', 'lost')).stderr).toContain('--status: must be pending, sent or failed');
  });
});
