import { createTestOrg, eventually, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import { deliveredText, NotificationServers, settled, SMS_ACCOUNT, startNotificationServers } from '../helpers/notifications';
import { addOrganisationUser } from '../../src/notifications/users';
import type { Refusal } from '../../src/dev/mailCatcher';

const INDIVIDUAL = `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber passDownloadLink deliveryAddress } failureList { deliveryAddress error } } }`;
const BATCH = `mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }`;
const requestIdOf = (message: string) => /request ([0-9a-f-]{36})/.exec(message)![1];

/** Emails and SMS reach people: real SMTP server (smtp-server, parsed with mailparser) and a real Twilio-shaped HTTP server. */
describe('notifications: email and SMS delivery', () => {
  let h: Harness;
  let servers: NotificationServers;
  // Scripted behaviour of the test's SMTP server, per test.
  let onRecipient: (address: string) => Refusal = () => null;
  let onMessage: (index: number) => Refusal = () => null;

  beforeAll(async () => {
    servers = await startNotificationServers({ onRecipient: (a) => onRecipient(a), onMessage: (i) => onMessage(i) });
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
    await servers.close();
  });
  beforeEach(() => {
    onRecipient = () => null;
    onMessage = () => null;
  });

  const pass = (i: number, extra: Record<string, unknown> = {}) => ({
    externalReferenceID: `ref-${i}`,
    dynamicFields: { membership_number: `${1000 + i}`, membership_name: `Member ${i}` },
    ...extra,
  });
  const emailsTo = (address: string) => servers.mail.messages.filter((m) => m.to.includes(address));

  it('delivers a 3-pass individual distribution by email: each body carries its own working download link', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const rows = [1, 2, 3].map((i) => pass(i, { deliveryMethod: 'Email', deliveryAddress: `member${i}@${org.id}.test`, deliverySalutation: 'Dear', deliveryName: `<Member ${i}>` }));
    const res = await gql(h.baseUrl, token, INDIVIDUAL, { i: { title, passDetails: rows } });
    expect(res.body.errors).toBeUndefined();
    const created = res.body.data.distributeIndividualPass.successList;
    expect(created).toHaveLength(3);

    const outbox = await settled(h.deps, { organisation_id: org.id, kind: 'pass-delivery' });
    expect(outbox.map((o: any) => [o.status, o.attempts, o.last_error])).toEqual([['sent', 1, null], ['sent', 1, null], ['sent', 1, null]]);
    for (const [i, p] of created.entries()) {
      const [mail] = emailsTo(`member${i + 1}@${org.id}.test`);
      const row = outbox.find((o: any) => o.reference === p.serialNumber);
      expect(mail.messageId).toBe(`<${row.id}@steward.test>`);
      expect(row.provider_message_id).toMatch(/^250/);
      expect(mail.subject).toBe(`Your ${title} from Test ${org.id}`);
      expect(mail.text).toContain(p.passDownloadLink);
      expect(mail.text).toContain(`Dear <Member ${i + 1}>,`);
      // HTML part: values escaped, the link a link.
      expect(mail.html).toContain(`Dear &lt;Member ${i + 1}&gt;,`);
      expect(mail.html).toContain(`<a href="${p.passDownloadLink.replace(/&/g, '&amp;')}">`);
      // The link works: it opens this pass.
      const link = new URL(p.passDownloadLink);
      const page = await fetch(`${h.baseUrl}${link.pathname}${link.search}`);
      expect(page.status).toBe(200);
    }
  });

  it("renders the organisation's own template; an unknown or wrong-kind template fails that pass with the reason", async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const CREATE = `mutation($input: PassDeliveryTemplateRequest) { createNewPassDeliveryTemplate(input: $input) { message } }`;
    for (const [t, type] of [['welcome', 'Email'], ['text-me', 'SMS']]) {
      const r = await gql(h.baseUrl, token, CREATE, {
        input: { title: t, type, subject: 'Hi {{deliveryName}}: your {{passDesignTitle}}', preheader: 'Inside', body: '{{deliverySalutation}} {{deliveryName}},<br/>tap {{passDownloadLink}}<script>x</script>', footer: 'Bye', imageURL: 'https://cdn.example/logo.png' },
      });
      expect(r.body.errors).toBeUndefined();
    }
    const res = await gql(h.baseUrl, token, INDIVIDUAL, {
      i: {
        title,
        passDetails: [
          pass(1, { deliveryMethod: 'Email', deliveryAddress: `own@${org.id}.test`, deliverySalutation: 'Hello', deliveryName: 'Jo & Co', deliveryTemplate: 'welcome' }),
          pass(2, { deliveryMethod: 'Email', deliveryAddress: `x@${org.id}.test`, deliveryTemplate: 'no-such-template' }),
          pass(3, { deliveryMethod: 'Email', deliveryAddress: `y@${org.id}.test`, deliveryTemplate: 'text-me' }),
          pass(4, { deliveryMethod: 'SMS', deliveryAddress: '07700 900123' }),
        ],
      },
    });
    const { successList, failureList } = res.body.data.distributeIndividualPass;
    expect(successList).toHaveLength(1);
    expect(failureList.map((f: any) => f.error)).toEqual([
      'passDetails[1]: deliveryTemplate: "no-such-template" does not exist (create it with createNewPassDeliveryTemplate, or use email-default)',
      'passDetails[2]: deliveryTemplate: "text-me" is of type SMS; deliveryMethod Email needs an Email template',
      'passDetails[3]: deliveryAddress: must be a phone number in E.164 format (+447700900123) when deliveryMethod is SMS',
    ]);
    await settled(h.deps, { organisation_id: org.id, kind: 'pass-delivery' });
    const [mail] = emailsTo(`own@${org.id}.test`);
    expect(mail.subject).toBe(`Hi Jo & Co: your ${title}`);
    expect(mail.text).toContain(`Hello Jo & Co,\ntap ${successList[0].passDownloadLink}`);
    expect(mail.html).toContain('Hello Jo &amp; Co,<br/>tap <a href=');
    expect(mail.html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');

    // A template removed after the pass was requested fails the delivery row with the reason.
    await h.deps.db('pass_delivery_templates').where({ organisation_id: org.id, title: 'welcome' }).delete();
    // The row must be switched before the delivery claims it (then it reads the template); a
    // delivery quicker than the test leaves nothing to switch, and the next pass is tried.
    let switched: string | undefined;
    for (let n = 5; n < 10 && !switched; n++) {
      const again = await gql(h.baseUrl, token, INDIVIDUAL, { i: { title, passDetails: [pass(n, { deliveryMethod: 'Email', deliveryAddress: `z${n}@${org.id}.test`, deliveryTemplate: 'email-default' })] } });
      expect(again.body.data.distributeIndividualPass.successList).toHaveLength(1);
      const [row] = await h.deps.db('notification_outbox').where({ organisation_id: org.id, status: 'pending' }).whereNull('lease_owner').update({ template: 'welcome' }).returning('id');
      switched = row?.id;
    }
    expect(switched).toBeDefined();
    await eventually(async () => (await h.deps.db('notification_outbox').where({ id: switched, status: 'failed' }).first()) ?? undefined);
  });

  it('sends SMS through the provider in Twilio Messages API shape, with an idempotency key', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const res = await gql(h.baseUrl, token, INDIVIDUAL, { i: { title, passDetails: [pass(1, { deliveryMethod: 'SMS', deliveryAddress: '+447700900555', deliveryName: 'Sam' })] } });
    const [p] = res.body.data.distributeIndividualPass.successList;
    const [row] = await settled(h.deps, { organisation_id: org.id, kind: 'pass-delivery' });
    expect(row).toMatchObject({ status: 'sent', attempts: 1, channel: 'SMS' });
    const sms = servers.sms.messages.find((s) => s.idempotencyToken === row.id)!;
    expect(sms.path).toBe(`/2010-04-01/Accounts/${SMS_ACCOUNT.sid}/Messages.json`);
    expect(sms.authorization).toBe(`Basic ${Buffer.from(`${SMS_ACCOUNT.sid}:${SMS_ACCOUNT.token}`).toString('base64')}`);
    expect(sms.contentType).toBe('application/x-www-form-urlencoded');
    expect(sms.form).toEqual({ To: '+447700900555', From: SMS_ACCOUNT.from, Body: expect.stringContaining(p.passDownloadLink) });
    expect(sms.form.Body).toMatch(/^Sam,\nTest org-\w+: your Gym Membership is ready/);
    expect(row.provider_message_id).toBe(sms.sid);
  });

  it('emails the batch results to exactly the users with result roles and the job issuer, with the result CSV links; switchable per organisation', async () => {
    const { org, title } = await createTestOrg(h.deps, { callbackUrl: h.receiverUrl });
    const other = await createTestOrg(h.deps);
    const users = { owner: `owner@${org.id}.test`, admin: `admin@${org.id}.test`, issuer: `issuer@${org.id}.test`, dev: `dev@${org.id}.test` };
    await addOrganisationUser(h.deps.db, org.id, users.owner, ['Owner']);
    await addOrganisationUser(h.deps.db, org.id, users.admin, ['Admin']);
    await addOrganisationUser(h.deps.db, org.id, users.issuer, ['Pass-Issuer']);
    await addOrganisationUser(h.deps.db, org.id, users.dev, ['Api-Dev', 'Admin']);
    await addOrganisationUser(h.deps.db, other.org.id, `stranger@${other.org.id}.test`, ['Owner']);
    const jobIssuer = `runner@${org.id}.test`;
    const token = await tokenFor(h.deps, org.id, ['Pass-Issuer'], jobIssuer);
    const res = await gql(h.baseUrl, token, BATCH, { i: { title, passDetails: [pass(1), pass(2), { externalReferenceID: 'bad', dynamicFields: {} }] } });
    const requestId = requestIdOf(res.body.data.distributePassBatch.message);
    const rows = await settled(h.deps, { reference: requestId, kind: 'results' });
    expect(rows.map((r: any) => r.recipient).sort()).toEqual([users.admin, users.dev, users.issuer, users.owner, jobIssuer].sort());
    expect(rows.every((r: any) => r.status === 'sent')).toBe(true);
    // A callback URL is set too: both go out.
    await eventually(async () => h.receiver.requests.find((r) => r.body.includes(requestId)));

    const record = await h.deps.db('distribution_requests').where({ id: requestId }).first();
    const mail = emailsTo(users.owner).find((m) => m.subject.includes(requestId))!;
    expect(mail.subject).toBe(`Distribution ${requestId}: 2 succeeded, 1 failed`);
    const links = mail.text.match(/https?:\/\/\S+/g)!;
    expect(links).toHaveLength(2);
    expect(links.every((l) => l.includes('/files/'))).toBe(true);
    expect(record.success_file_id).toBeTruthy();
    expect(servers.mail.messages.some((m) => m.to.includes(`stranger@${other.org.id}.test`))).toBe(false);

    await h.deps.db('organisations').where({ id: org.id }).update({ results_email: false });
    const off = await gql(h.baseUrl, token, BATCH, { i: { title, passDetails: [pass(3)] } });
    const offId = requestIdOf(off.body.data.distributePassBatch.message);
    await h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${offId}`).result();
    expect(await h.deps.db('notification_outbox').where({ reference: offId })).toEqual([]);
  });

  it('a batch of 1,000 with 10 addresses the mail server refuses: 990 emails sent, 10 rows failed with the reason; progress shows both stages', async () => {
    onRecipient = (a) => (a.startsWith('bad-') ? { code: 550, message: '5.1.1 mailbox unavailable' } : null);
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const rows = Array.from({ length: 1000 }, (_, i) => pass(i, { deliveryMethod: 'Email', deliveryAddress: `${i % 100 === 7 ? 'bad' : 'ok'}-${i}@${org.id}.test` }));
    const res = await gql(h.baseUrl, token, BATCH, { i: { title, passDetails: rows } });
    const requestId = requestIdOf(res.body.data.distributePassBatch.message);
    const handle = h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestId}`);
    const result = await handle.result();
    expect(result).toMatchObject({ total: 1000, success: 1000, failure: 0, delivery: { total: 1000, sent: 990, failed: 10, pending: 0 } });
    expect(await handle.query('progress')).toMatchObject({ processed: 1000, delivery: { sent: 990, failed: 10 } });
    const failed = await h.deps.db('notification_outbox').where({ dispatch_key: `distribution-${requestId}`, status: 'failed' });
    expect(failed).toHaveLength(10);
    for (const f of failed) {
      expect(f.recipient).toMatch(/^bad-/);
      expect(f.last_error).toMatch(/^SMTP 550 at RCPT TO: .*mailbox unavailable/);
    }
    const received = servers.mail.messages.filter((m) => m.to[0].endsWith(`@${org.id}.test`) && m.to[0].startsWith('ok-'));
    expect(received).toHaveLength(990);
    expect(new Set(received.map((m) => m.messageId)).size).toBe(990);
  });

  it('SMTP refuses twice with 4xx, then accepts: one email, three attempts logged', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const address = `retry@${org.id}.test`;
    let refusals = 0;
    onMessage = () => (servers.mail.messages.length >= 0 && refusals < 2 ? (refusals++, { code: 451, message: '4.3.0 try again later' }) : null);
    await gql(h.baseUrl, token, INDIVIDUAL, { i: { title, passDetails: [pass(1, { deliveryMethod: 'Email', deliveryAddress: address })] } });
    const [row] = await settled(h.deps, { organisation_id: org.id, kind: 'pass-delivery' });
    expect(row).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
    expect(emailsTo(address)).toHaveLength(1);
    const attempts = await h.deps.db('notification_attempts').where({ outbox_id: row.id }).orderBy('attempt');
    expect(attempts.map((a: any) => [a.attempt, a.outcome, a.error?.replace(/:.*/, '')])).toEqual([
      [1, 'retry', 'SMTP 451 at DATA'],
      [2, 'retry', 'SMTP 451 at DATA'],
      [3, 'sent', undefined],
    ]);
  });

  it('an async issuance invitation and its one-time code arrive by email, and the code claims the request', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id, ['Pass-Issuer'], 'issuer@example.test');
    const address = `ada@${org.id}.test`;
    const created = await gql(h.baseUrl, token, `mutation($input: AsyncIssuanceRequestCreateInput!) { createAsyncIssuanceRequest(input: $input) { claimUrl asyncIssuanceRequest { id } } }`, {
      input: { contract: { title }, identity: { name: 'Ada', email: address }, expiry: 'ONE_DAY', contact: { notification: { email: address }, verification: { email: address } }, dynamicFields: { membership_number: '77', membership_name: 'Ada' } },
    });
    const { claimUrl, asyncIssuanceRequest } = created.body.data.createAsyncIssuanceRequest;
    const requestId = asyncIssuanceRequest.id;
    const [invitation] = await settled(h.deps, { reference: requestId, kind: 'invitation' });
    const inviteMail = emailsTo(address).find((m) => m.messageId.startsWith(`<${invitation.id}@`))!;
    expect(inviteMail.text).toContain(claimUrl);

    // The issuee follows the emailed link, asks for a code, reads it from the email and claims.
    const claimToken = new URL(/https?:\/\/\S+claim\?token=\S+/.exec(inviteMail.text)![0]).searchParams.get('token')!;
    const claim = (query: string, variables: unknown) => gql(`${h.baseUrl}/claim`, undefined, query, variables);
    const started = await claim(`mutation($t: String!) { startAsyncIssuanceClaim(claimToken: $t) { status verificationCodeSentTo } }`, { t: claimToken });
    expect(started.body.errors).toBeUndefined();
    const [codeRow] = await settled(h.deps, { reference: requestId, kind: 'verification-code' });
    const text = deliveredText(servers, codeRow.id)!;
    const code = /verification code is (\d{6})/.exec(text)![1];
    // Stored: the placeholder, never the code; the sealed value is gone once sent.
    expect(codeRow.body).toContain('{{oneTimeCode}}');
    expect(JSON.stringify(codeRow)).not.toContain(code);
    const done = await claim(`mutation($t: String!, $code: String) { completeAsyncIssuanceClaim(claimToken: $t, code: $code) { status } }`, { t: claimToken, code });
    expect(done.body.data.completeAsyncIssuanceClaim.status).toBe('COMPLETED');

    const single = await gql(h.baseUrl, token, `query($id: ID!) { asyncIssuanceRequest(id: $id) { communications(orderBy: CREATED_AT, orderDirection: ASC) { channel status purpose sentAt } } }`, { id: requestId });
    expect(single.body.data.asyncIssuanceRequest.communications).toEqual([
      { channel: 'EMAIL', status: 'SENT', purpose: 'INVITATION', sentAt: expect.any(String) },
      { channel: 'EMAIL', status: 'SENT', purpose: 'VERIFICATION_CODE', sentAt: expect.any(String) },
    ]);
  });
});
