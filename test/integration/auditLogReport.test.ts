import { parse } from 'csv-parse/sync';
import { recordAudit } from '../../src/services/audit';
import { createTestOrg, eventually, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

const GENERATE = `mutation GenerateAuditLogReport($input: GenerateAuditLogReportRequest) { generateAuditLogReport(input: $input) { message reportID } }`;
const GET = `query GetReportingRequestByReportID($input: GetReportingRequestByReportIDRequest) { getReportingRequestByReportID(input: $input) { reportType status created requester lastModified downloadURL } }`;
const LIST = `query GetPaginatedReportingRequest($input: GetPaginatedReportingRequestsRequest) { getPaginatedReportingRequest(input: $input) { reportingRequestList { reportType status requester downloadURL } lastDocID lastModifiedTimestamp } }`;

describe('audit log reports (seed 003) on real servers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const hoursAgo = (n: number) => new Date(Date.now() - n * 3_600_000);

  it('generates a CSV of the audit events in the window, filtered, with a download link and emails', async () => {
    const { org } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id, ['Owner'], 'boss@example.test');
    const event = async (at: Date, category: 'Beacons' | 'Passes', actor: string, action: string) => {
      const id = await recordAudit(h.deps.db, { organisationId: org.id, actor, category, action, subject: `s-${action}` });
      await h.deps.db('audit_events').where({ id }).update({ created_at: at });
    };
    await event(hoursAgo(30), 'Beacons', 'alice@example.test', 'createNewBeacon');
    await event(hoursAgo(20), 'Beacons', 'bob@example.test', 'updateBeacon');
    await event(hoursAgo(10), 'Passes', 'alice@example.test', 'forgetUserDetailsForPass');
    await event(hoursAgo(24 * 9), 'Beacons', 'alice@example.test', 'tooOld');

    const res = await gql(h.baseUrl, token, GENERATE, {
      input: { startTime: hoursAgo(48).toISOString(), endTime: new Date().toISOString(), emailAddresses: ['audit@example.test'], emailAddressFilter: 'ALICE@example.test', categoryFilter: '' },
    });
    expect(res.body.errors).toBeUndefined();
    const { reportID, message } = res.body.data.generateAuditLogReport;
    expect(message).toContain(reportID);
    const report = await eventually(async () => {
      const r = await gql(h.baseUrl, token, GET, { input: { reportID } });
      return r.body.data?.getReportingRequestByReportID?.status === 'complete' ? r.body.data.getReportingRequestByReportID : undefined;
    });
    expect(report).toMatchObject({ reportType: 'AuditLogReport', requester: 'boss@example.test', downloadURL: expect.stringContaining('/files/') });
    const csv = await (await fetch(report.downloadURL.replace(h.deps.config.publicBaseUrl, h.baseUrl), { headers: { authorization: `Bearer ${token}` } })).text();
    const rows: Record<string, string>[] = parse(csv, { columns: true });
    expect(rows.map((r) => [r.category, r.action, r.user])).toEqual([
      ['Beacons', 'createNewBeacon', 'alice@example.test'],
      ['Passes', 'forgetUserDetailsForPass', 'alice@example.test'],
    ]);
    expect(Object.keys(rows[0])).toEqual(['timestamp', 'category', 'action', 'user', 'subject', 'details']);
    expect(await h.deps.db('notification_outbox').where({ reference: reportID }).first()).toMatchObject({ recipient: 'audit@example.test', channel: 'Email' });

    // Category filter.
    const byCategory = await gql(h.baseUrl, token, GENERATE, { input: { startTime: hoursAgo(48).toISOString(), endTime: new Date().toISOString(), emailAddresses: [], categoryFilter: 'Beacons' } });
    const id2 = byCategory.body.data.generateAuditLogReport.reportID;
    await h.deps.temporal!.workflow.getHandle(`audit-report-${id2}`).result();
    expect(await h.deps.db('reporting_requests').where({ id: id2 }).first()).toMatchObject({ status: 'complete', row_count: 2 });

    // Listing, newest first, with the cursor.
    const list = async (extra: Record<string, unknown> = {}) =>
      (await gql(h.baseUrl, token, LIST, { input: { batchSize: 1, startTime: hoursAgo(1).toISOString(), endTime: new Date(Date.now() + 60_000).toISOString(), reportType: 'AuditLogReport', ...extra } })).body;
    const p1 = await list();
    expect(p1.errors).toBeUndefined();
    expect(p1.data.getPaginatedReportingRequest.reportingRequestList).toHaveLength(1);
    const p2 = await list({ lastDocID: p1.data.getPaginatedReportingRequest.lastDocID, lastModifiedTimestamp: p1.data.getPaginatedReportingRequest.lastModifiedTimestamp });
    expect(p2.data.getPaginatedReportingRequest.reportingRequestList).toHaveLength(1);
    expect(p2.data.getPaginatedReportingRequest.lastDocID).not.toBe(p1.data.getPaginatedReportingRequest.lastDocID);
    const p3 = await list({ lastDocID: p2.data.getPaginatedReportingRequest.lastDocID, lastModifiedTimestamp: p2.data.getPaginatedReportingRequest.lastModifiedTimestamp });
    expect(p3.data.getPaginatedReportingRequest.reportingRequestList).toEqual([]);
    expect((await list({ reportType: 'PassReport' })).data.getPaginatedReportingRequest.reportingRequestList).toEqual([]);

    // Another organisation sees none of it.
    const other = await createTestOrg(h.deps);
    const r = await gql(h.baseUrl, await tokenFor(h.deps, other.org.id), GET, { input: { reportID } });
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.reportID' });
  });

  it.each([
    ['a window over 7 days', { startTime: hoursAgo(24 * 8).toISOString() }, 'input.endTime'],
    ['endTime before startTime', { startTime: new Date().toISOString(), endTime: hoursAgo(1).toISOString() }, 'input.endTime'],
    ['an unknown category', { categoryFilter: 'Cats' }, 'input.categoryFilter'],
    ['a bad email address', { emailAddresses: ['ok@example.test', 'not-an-email'] }, 'input.emailAddresses.1'],
  ])('refuses %s, naming the field', async (_name, override, field) => {
    const { org } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const res = await gql(h.baseUrl, token, GENERATE, { input: { startTime: hoursAgo(24).toISOString(), endTime: new Date().toISOString(), emailAddresses: [], ...override } });
    expect(res.body.errors?.[0]).toMatchObject({ message: expect.stringContaining(`${field}: `), extensions: { code: 'BAD_USER_INPUT', field } });
    expect(await h.deps.db('reporting_requests').where({ organisation_id: org.id })).toEqual([]);
  });

  it('refuses a listing window over 3 months and a bad batch size', async () => {
    const { org } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const r = await gql(h.baseUrl, token, LIST, { input: { batchSize: 10, startTime: hoursAgo(24 * 100).toISOString(), endTime: new Date().toISOString() } });
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.endTime' });
    const b = await gql(h.baseUrl, token, LIST, { input: { batchSize: 0, startTime: hoursAgo(1).toISOString(), endTime: new Date().toISOString() } });
    expect(b.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.batchSize' });
  });
});
