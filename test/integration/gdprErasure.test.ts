import crypto from 'node:crypto';
import { findInDatabase, findInStoredFiles, workflowHistoryText } from '../helpers/canary';
import { createTestOrg, gql, gqlUpload, Harness, startHarness, tokenFor } from '../helpers/harness';
import { CallbackReceiver } from '../helpers/receiver';
import { payloadCodecsFor } from '../helpers/codec';
import { NotificationServers, startNotificationServers } from '../helpers/notifications';

const CSV_MUTATION = `mutation DistributePassesCSV($input: DistributionRequestCSV) { distributePassesCSV(input: $input) { message } }`;
const FORGET = `mutation ForgetUserDetailsForPass($input: ForgetUserDetailsForPassRequest) { forgetUserDetailsForPass(input: $input) { message } }`;
const requestIdOf = (message: string) => /request ([0-9a-f-]{36})/.exec(message)![1];

/** A CSV whose personal cells carry `canary`: dynamic fields, reference, payload, delivery details. */
function csvWith(rows: { n: number; canary: string }[]): string {
  const lines = ['externalReferenceID,membership_number,membership_name,payload,deliveryMethod,deliveryAddress,deliveryName,deliverySalutation'];
  for (const { n, canary } of rows) {
    lines.push(`ref-${canary}-${n},${canary}${n},Name ${canary},P${canary},Email,${canary}@example.test,Full ${canary},Dear ${canary}`);
  }
  return lines.join('\n') + '\n';
}

describe('GDPR forgetting: erased everywhere, provably (real Temporal + PostgreSQL + callback receiver)', () => {
  let h: Harness;
  let receiver: CallbackReceiver;
  let receiverUrl: string;
  let servers: NotificationServers;
  let refusedOne = false;
  beforeAll(async () => {
    // Pass delivery emails really go out (rendered bodies stored); the first canary address is refused once, quoting it.
    servers = await startNotificationServers({
      onRecipient: (a) => (!refusedOne && a.startsWith('CANARY') ? ((refusedOne = true), { code: 450, message: `4.2.1 <${a}> mailbox busy` }) : null),
    });
    h = await startHarness();
    h.deps.config.forgetGracePeriodMs = 4000;
    receiver = new CallbackReceiver();
    receiverUrl = await receiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await h.close();
    await servers.close();
  });

  it('forgets batch-distributed passes: no trace of the canary in any table, stored file or workflow history', async () => {
    const canary = `CANARY${crypto.randomBytes(6).toString('hex')}`;
    const keep = `KEEP${crypto.randomBytes(6).toString('hex')}`;
    const { org, title } = await createTestOrg(h.deps, { callbackUrl: `${receiverUrl}/hooks` });
    const token = await tokenFor(h.deps, org.id);

    const csv = csvWith([1, 2, 3, 4, 5].map((n) => ({ n, canary: n === 5 ? keep : canary })));
    const res = await gqlUpload(h.baseUrl, token, CSV_MUTATION, { input: { title, file: null } }, { path: 'variables.input.file', content: csv });
    expect(res.body.errors).toBeUndefined();
    const requestId = requestIdOf(res.body.data.distributePassesCSV.message);
    await receiver.waitFor((reqs) => reqs.some((r) => r.body.includes(requestId)));
    await h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestId}`).result();

    // The canary really reached the staging rows, the pass records and the result CSV.
    expect((await findInDatabase(h.deps.db, canary)).map((x) => x.where)).toEqual(expect.arrayContaining(['passes.dynamic_field_data', 'distribution_rows.raw', 'passes.external_reference_id']));
    expect(await findInStoredFiles(h.deps.db, canary)).toHaveLength(1);
    // ...and the pass delivery emails: address, rendered bodies, placeholder values, the refusal quoting the address.
    expect(servers.mail.messages.filter((m) => m.to[0].startsWith(canary) && m.text.includes(`Dear ${canary} Full ${canary}`))).toHaveLength(4);
    expect((await findInDatabase(h.deps.db, canary)).map((x) => x.where)).toEqual(
      expect.arrayContaining(['notification_outbox.recipient', 'notification_outbox.body', 'notification_outbox.html_body', 'notification_outbox.params', 'notification_attempts.error']),
    );

    const passes = await h.deps.db('passes').where({ distribution_request_id: requestId }).orderBy('serial_number');
    const toForget = passes.filter((p) => p.external_reference_id.includes(canary));
    const kept = passes.find((p) => p.external_reference_id.includes(keep));
    expect(toForget).toHaveLength(4);

    // The end user installs one of them on an iPhone: its device identifier and push token are personal too.
    const device = await fetch(
      `${h.baseUrl}/v1/devices/${canary}device/registrations/${h.deps.config.wallet.applePassTypeIdPrefix}.${org.id}/${toForget[0].serial_number}`,
      { method: 'POST', headers: { authorization: `ApplePass ${toForget[0].authentication_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ pushToken: `${canary}push` }) },
    );
    expect(device.status).toBe(201);
    expect((await findInDatabase(h.deps.db, canary)).map((x) => x.where)).toEqual(expect.arrayContaining(['device_registrations.push_token']));

    for (const p of toForget) {
      const r = await gql(h.baseUrl, token, FORGET, { input: { serialNumber: p.serial_number } });
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.forgetUserDetailsForPass.message).toMatch(new RegExp(`^Pass ${p.serial_number} has been expired; .* removed by `));
    }
    // A second request joins the first; the pass is expired at once, its details wait for the grace period.
    const again = await gql(h.baseUrl, token, FORGET, { input: { serialNumber: toForget[0].serial_number } });
    expect(again.body.data.forgetUserDetailsForPass.message).toMatch(/is already being forgotten/);
    const right = await h.deps.db('passes').where({ id: toForget[0].id }).first();
    expect(right.is_expired).toBe(true);
    expect(right.forgotten_at).toBeNull();

    const results = await Promise.all(toForget.map((p) => h.deps.temporal!.workflow.getHandle(`forget-${p.id}`).result()));
    expect(results[0]).toMatchObject({ passId: toForget[0].id, erased: expect.objectContaining({ passes: 1, 'distribution_rows.raw': 1, 'stored_files(distribution results)': 1 }) });

    // Not one hit in any column of any table, nor in any stored file.
    expect(await findInDatabase(h.deps.db, canary)).toEqual([]);
    expect(await findInStoredFiles(h.deps.db, canary)).toEqual([]);
    // The search does find data that was not forgotten: the pass kept in the same batch is intact.
    expect((await findInDatabase(h.deps.db, keep)).map((x) => x.where)).toEqual(expect.arrayContaining(['passes.dynamic_field_data', 'distribution_rows.raw']));
    expect(await findInStoredFiles(h.deps.db, keep)).toHaveLength(1);
    expect(kept.is_expired).toBe(false);

    // What stays: serials, counts, the audit trail (who asked, when, what was erased, when it finished).
    const forgotten = await h.deps.db('passes').whereIn('id', toForget.map((p) => p.id));
    for (const p of forgotten) {
      expect(p).toMatchObject({ is_expired: true, dynamic_field_data: {}, external_reference_id: '', payload: null, delivery_address: '', delivery_name: '', delivery_salutation: '' });
      expect(p.forgotten_at).toBeInstanceOf(Date);
    }
    expect(await h.deps.db('distribution_requests').where({ id: requestId }).first()).toMatchObject({ success_count: 5, failure_count: 0 });
    const requests = await h.deps.db('pass_forget_requests').whereIn('pass_id', toForget.map((p) => p.id));
    expect(requests.map((r) => [r.status, r.requested_by])).toEqual(toForget.map(() => ['ERASED', 'ops@example.test']));
    const audit = await h.deps.db('audit_events').where({ organisation_id: org.id, category: 'Passes' }).orderBy('id');
    expect(audit.filter((a) => a.action === 'forgetUserDetailsForPass')).toHaveLength(4);
    expect(audit.filter((a) => a.action === 'forgetUserDetailsForPass.erased')).toHaveLength(4);
    const rows = await h.deps.db('distribution_rows').where({ request_id: requestId }).orderBy('row_number');
    expect(rows.map((r) => r.status)).toEqual(['success', 'success', 'success', 'success', 'success']);
    expect(rows.every((r) => r.serial_number)).toBe(true);
    const byExternalRef = await gql(h.baseUrl, token, `query($i: GetPassesByExternalRefIDRequest) { getPassesByExternalRefID(input: $i) { serial { serialNumber } } }`, { i: { externalReferenceID: toForget[0].external_reference_id } });
    expect(byExternalRef.body.data.getPassesByExternalRefID).toEqual([]);

    // Temporal: every workflow of this organisation, every payload decoded: no canary.
    const ids: string[] = [];
    for await (const wf of h.deps.temporal!.workflow.list({ query: `OrganisationId = '${org.id}'` })) ids.push(wf.workflowId);
    expect(ids).toEqual(expect.arrayContaining([`distribution-${org.id}-${requestId}`, ...toForget.map((p) => `forget-${p.id}`)]));
    const codecs = payloadCodecsFor(h.deps.config);
    for (const id of ids) {
      const text = await workflowHistoryText(h.deps.temporal!, id, codecs);
      // Decoding works: each workflow's own ID argument is there (forget: the pass ID; distribution: the request ID; callbacks: the delivery ID).
      expect(text).toContain(id.startsWith('forget-') ? id.slice('forget-'.length) : id.startsWith('distribution-') ? requestId : id);
      expect(text).not.toContain(canary);
      expect(text).not.toContain(keep);
    }
  });

  it('refuses an unknown serial number and another organisation\'s pass, naming the field', async () => {
    const a = await createTestOrg(h.deps);
    const b = await createTestOrg(h.deps);
    const tokenA = await tokenFor(h.deps, a.org.id);
    const r = await gql(h.baseUrl, tokenA, FORGET, { input: { serialNumber: '999999999999' } });
    expect(r.body.errors?.[0]).toMatchObject({ message: 'input.serialNumber: no pass with serial number 999999999999', extensions: { code: 'NOT_FOUND', field: 'input.serialNumber' } });
    const d = await gql(h.baseUrl, await tokenFor(h.deps, b.org.id), `mutation($input: DistributionRequest) { distributeIndividualPass(input: $input) { successList { serialNumber } } }`, {
      input: { title: b.title, passDetails: [{ externalReferenceID: 'x', dynamicFields: { membership_number: '1', membership_name: 'B' } }] },
    });
    const serial = d.body.data.distributeIndividualPass.successList[0].serialNumber;
    const other = await gql(h.baseUrl, tokenA, FORGET, { input: { serialNumber: serial } });
    expect(other.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const empty = await gql(h.baseUrl, tokenA, FORGET, { input: { serialNumber: '  ' } });
    expect(empty.body.errors?.[0]).toMatchObject({ message: 'input.serialNumber: must not be empty', extensions: { code: 'BAD_USER_INPUT' } });
    expect(await h.deps.db('passes').where({ serial_number: serial }).first()).toMatchObject({ is_expired: false });
  });
});
