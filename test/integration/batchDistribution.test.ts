import { parse } from 'csv-parse/sync';
import { verifyStandardWebhook } from '../../src/services/callbacks/signing';
import { distributionCsv } from '../helpers/csv';
import { createTestOrg, eventually, gql, gqlUpload, Harness, startHarness, tokenFor } from '../helpers/harness';

const CSV_MUTATION = `mutation DistributePassesCSV($input: DistributionRequestCSV) { distributePassesCSV(input: $input) { message } }`;
const BATCH_MUTATION = `mutation DistributePassBatch($input: DistributionRequest) { distributePassBatch(input: $input) { message } }`;
const requestIdOf = (message: string) => /request ([0-9a-f-]{36})/.exec(message)![1];

describe('batch distribution (real Temporal + PostgreSQL + HTTP receiver)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('distributes a 1,000-row CSV with 10 bad rows: 990 passes, results CSVs, one signed callback', async () => {
    const { org, title } = await createTestOrg(h.deps, { callbackUrl: `${h.receiverUrl}/steward/results` });
    const token = await tokenFor(h.deps, org.id);
    const bad = new Set([3, 50, 51, 200, 333, 500, 501, 777, 900, 1000]);
    const res = await gqlUpload(h.baseUrl, token, CSV_MUTATION, { input: { title, file: null } }, { path: 'variables.input.file', content: distributionCsv(1000, bad) });
    expect(res.body.errors).toBeUndefined();
    const requestId = requestIdOf(res.body.data.distributePassesCSV.message);

    await h.receiver.waitFor((reqs) => reqs.some((r) => r.path === '/steward/results' && r.body.includes(requestId)));
    const cb = h.receiver.requests.filter((r) => r.body.includes(requestId));
    expect(cb).toHaveLength(1);
    expect(verifyStandardWebhook(org.webhook_secret, cb[0].headers, cb[0].body)).toBe(true);
    const payload = JSON.parse(cb[0].body);
    expect(payload).toEqual({
      requestID: requestId,
      successCount: 990,
      successResultsURL: expect.stringContaining('/files/'),
      failureCount: 10,
      failureResultsURL: expect.stringContaining('/files/'),
    });

    expect(await h.deps.db('passes').where({ distribution_request_id: requestId }).count<{ c: number }[]>('* as c')).toEqual([{ c: 990 }]);

    const download = async (url: string, t = token) => fetch(url.replace(h.deps.config.publicBaseUrl, h.baseUrl), { headers: { authorization: `Bearer ${t}` } });
    const successCsv: Record<string, string>[] = parse(await (await download(payload.successResultsURL)).text(), { columns: true });
    expect(successCsv).toHaveLength(990);
    expect(Object.keys(successCsv[0])).toEqual([
      'customFieldData', 'externalReferenceID', 'payload', 'passDownloadLink', 'serialNumber', 'deliveryMethod', 'deliveryAddress',
      'deliverySalutation', 'deliveryName', 'deliveryTemplate', 'beacons', 'locations', 'expiredTimestamp', 'passApiKey',
    ]);
    expect(new Set(successCsv.map((r) => r.serialNumber)).size).toBe(990);
    const failureCsv: Record<string, string>[] = parse(await (await download(payload.failureResultsURL)).text(), { columns: true });
    expect(failureCsv).toHaveLength(10);
    expect(failureCsv.find((r) => r.externalReferenceID === 'ext-3')?.error).toBe('row 3: has 2 columns but the header has 4');
    expect(failureCsv.find((r) => r.externalReferenceID === 'ext-50')?.error).toMatch(/^row 50: payload: must be at most 64 bytes/);

    // The links work only for this organisation.
    const other = await createTestOrg(h.deps);
    expect((await download(payload.successResultsURL, await tokenFor(h.deps, other.org.id))).status).toBe(403);
    expect((await download(payload.successResultsURL.replace(/sig=[^&]+/, 'sig=forged'))).status).toBe(403);

    const [redeemed] = await h.deps.db('passes').where({ distribution_request_id: requestId }).limit(1).pluck('id');
    await h.deps.db('passes').where({ id: redeemed }).update({ is_redeemed: true, device_os: 'Apple' });
    const page = await gql(h.baseUrl, token, `query($i: GetPaginatedDistributionRequest) { getPaginatedDistributionRequests(input: $i) {
      distributionDocs { batchCount isBatchRequest jobIssuer passDesignTitle status successCount failureCount successResults failureResults projectedCost pricePerPass appleRedemptions googleRedemptions }
      lastCreated lastDocID } }`, { i: { batchSize: 10 } });
    expect(page.body.data.getPaginatedDistributionRequests.distributionDocs).toEqual([
      expect.objectContaining({ batchCount: 1000, isBatchRequest: true, status: 'Complete', successCount: 990, failureCount: 10, projectedCost: 10000, pricePerPass: 10, passDesignTitle: title, appleRedemptions: 1, googleRedemptions: 0 }),
    ]);
    expect(page.body.data.getPaginatedDistributionRequests.lastDocID).toBe(requestId);
  });

  it('exposes progress through the workflow query and the request row while it runs', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const rows = Array.from({ length: 5000 }, (_, i) => ({ externalReferenceID: `e${i}`, dynamicFields: { membership_number: `${i}`, membership_name: 'N' } }));
    const res = await gql(h.baseUrl, token, BATCH_MUTATION, { input: { title, passDetails: rows } });
    const requestId = requestIdOf(res.body.data.distributePassBatch.message);
    const handle = h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestId}`);
    const seen = await eventually(async () => {
      const p = await handle.query<{ processed: number; total: number }>('progress').catch(() => undefined);
      return p && p.processed > 0 ? p : undefined;
    });
    expect(seen.total).toBe(5000);
    const final = await handle.result();
    expect(final).toMatchObject({ total: 5000, processed: 5000, success: 5000, failure: 0, done: true, callback: 'none' });
    const row = await h.deps.db('distribution_requests').where({ id: requestId }).first();
    expect(row).toMatchObject({ status: 'Complete', processed_count: 5000, success_count: 5000 });
    // No callback URL: the job issuer is emailed through the outbox.
    expect(await h.deps.db('notification_outbox').where({ reference: requestId }).first()).toMatchObject({ channel: 'Email', recipient: 'ops@example.test' });
    const desc = await handle.describe();
    expect(desc.typedSearchAttributes.get({ name: 'RequestId', type: 'KEYWORD' } as any) ?? desc.searchAttributes.RequestId).toBeTruthy();
  });

  it('starts one workflow for the same mutation sent twice with one Idempotency-Key', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const send = () =>
      fetch(`${h.baseUrl}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': 'order-42' },
        body: JSON.stringify({ query: BATCH_MUTATION, variables: { input: { title, passDetails: [{ externalReferenceID: 'a', dynamicFields: { membership_number: '1', membership_name: 'A' } }] } } }),
      }).then((r) => r.json() as Promise<any>);
    const [a, b] = [await send(), await send()];
    const id = requestIdOf(a.data.distributePassBatch.message);
    expect(requestIdOf(b.data.distributePassBatch.message)).toBe(id);
    expect(b.data.distributePassBatch.message).toMatch(/already accepted/);
    expect(await h.deps.db('distribution_requests').where({ organisation_id: org.id })).toHaveLength(1);
    await h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${id}`).result();
    const runs = h.deps.temporal!.workflow.list({ query: `WorkflowId = 'distribution-${org.id}-${id}'` });
    let count = 0;
    for await (const _ of runs) count++;
    expect(count).toBe(1);
    expect(await h.deps.db('passes').where({ distribution_request_id: id })).toHaveLength(1);
  });

  it('refuses an upload over 32 MB with a clear error and writes nothing', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const big = Buffer.alloc(32 * 1024 * 1024 + 10, 'a');
    const res = await gqlUpload(h.baseUrl, token, CSV_MUTATION, { input: { title, file: null } }, { path: 'variables.input.file', content: big });
    expect(res.status).toBe(413);
    expect(res.body.errors?.[0].message).toMatch(/larger than the 32 MB upload limit/);
    expect(await h.deps.db('distribution_requests').where({ organisation_id: org.id })).toHaveLength(0);
  });

  it('rejects bad requests naming the field', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const noHeader = await gqlUpload(h.baseUrl, token, CSV_MUTATION, { input: { title, file: null } }, { path: 'variables.input.file', content: 'membership_number\n1\n' });
    expect(noHeader.body.errors?.[0]).toMatchObject({ message: 'input.file: the header row needs an externalReferenceID column (its cells may be empty)', extensions: { field: 'input.file' } });
    const empty = await gql(h.baseUrl, token, BATCH_MUTATION, { input: { title, passDetails: [] } });
    expect(empty.body.errors?.[0].message).toBe('input.passDetails: contains no passes to distribute');
    const one = [{ externalReferenceID: 'a', dynamicFields: { membership_number: '1', membership_name: 'A' } }];
    const unknown = await gql(h.baseUrl, token, BATCH_MUTATION, { input: { title: 'Nope', passDetails: one } });
    expect(unknown.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const window = await gql(h.baseUrl, token, BATCH_MUTATION, { input: { title, passDetails: one, startTime: '2030-01-02T00:00:00Z', endTime: '2030-01-01T00:00:00Z' } });
    expect(window.body.errors?.[0].message).toBe('input.endTime: must be after startTime');
    const badMap = await fetch(`${h.baseUrl}/query`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: (() => { const f = new FormData(); f.append('operations', '{bad'); return f; })() });
    expect(badMap.status).toBe(400);
    expect(await h.deps.db('distribution_requests').where({ organisation_id: org.id })).toHaveLength(0);
  });

  it('streams result CSVs out of PostgreSQL with the cells escaped and rendered as before (formulas, lists, times, maps)', async () => {
    const { org, title } = await createTestOrg(h.deps, { callbackUrl: `${h.receiverUrl}/steward/formulas` });
    const token = await tokenFor(h.deps, org.id);
    const expires = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    const rows = [
      { externalReferenceID: '=HYPERLINK("http://evil.example","x")', payload: '-1+1', dynamicFields: { membership_number: '@1', membership_name: 'A, "quoted"' }, beacons: ['b1', 'b2'], expiredTimestamp: expires.toISOString() },
      { externalReferenceID: '+bad', dynamicFields: { membership_number: '2' } }, // missing membership_name: a failure
    ];
    const res = await gql(h.baseUrl, token, BATCH_MUTATION, { input: { title, passDetails: rows } });
    const requestId = requestIdOf(res.body.data.distributePassBatch.message);
    await h.receiver.waitFor((reqs) => reqs.some((r) => r.body.includes(requestId)));
    const payload = JSON.parse(h.receiver.requests.find((r) => r.body.includes(requestId))!.body);
    const download = async (url: string) => (await fetch(url.replace(h.deps.config.publicBaseUrl, h.baseUrl), { headers: { authorization: `Bearer ${token}` } })).text();
    const [success] = parse(await download(payload.successResultsURL), { columns: true }) as Record<string, string>[];
    expect(success).toMatchObject({
      externalReferenceID: `'=HYPERLINK("http://evil.example","x")`,
      payload: "'-1+1",
      beacons: 'b1;b2',
      locations: '',
      expiredTimestamp: expires.toISOString(),
      deliveryMethod: 'None',
      passDownloadLink: `${h.deps.config.publicBaseUrl}/pass-download?details=${success.passApiKey}`,
    });
    expect(JSON.parse(success.customFieldData)).toEqual({ membership_number: '@1', membership_name: 'A, "quoted"' });
    const [failure] = parse(await download(payload.failureResultsURL), { columns: true }) as Record<string, string>[];
    expect(failure).toMatchObject({ externalReferenceID: "'+bad", deliveryMethod: 'None', expiredTimestamp: '', error: expect.stringMatching(/^row 2: dynamicFields: missing required field\(s\) membership_name/) });
    expect(JSON.parse(failure.dynamicFieldData)).toEqual({ membership_number: '2' });
  });
});
