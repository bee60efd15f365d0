import { parse } from 'csv-parse/sync';
import { verifyStandardWebhook } from '../../src/services/callbacks/signing';
import { createTestOrg, eventually, gql, gqlUpload, Harness, startHarness, tokenFor } from '../helpers/harness';

const INDIVIDUAL = `mutation InvalidateIndividualPass($input: InvalidationRequest) {
  invalidateIndividualPass(input: $input) { successList failureList { serialNumber error } } }`;
const DISTRIBUTE_BATCH = `mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }`;

describe('invalidation (real Temporal + PostgreSQL + HTTP receiver)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  /** Distributes `n` passes individually (25 at a time) and returns their serials. */
  async function distribute(token: string, title: string, n: number): Promise<string[]> {
    const serials: string[] = [];
    for (let i = 0; i < n; i += 25) {
      const passDetails = Array.from({ length: Math.min(25, n - i) }, (_, j) => ({ externalReferenceID: `e${i + j}`, dynamicFields: { membership_number: `${i + j}`, membership_name: 'N' } }));
      const r = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } } }`, { i: { title, passDetails } });
      serials.push(...r.body.data.distributeIndividualPass.successList.map((p: { serialNumber: string }) => p.serialNumber));
    }
    return serials;
  }

  it('invalidates 25 mixed serials individually: each bad one fails alone with its reason', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const other = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const mine = await distribute(token, title, 20);
    const [foreign] = await distribute(await tokenFor(h.deps, other.org.id), other.title, 1);
    await gql(h.baseUrl, token, INDIVIDUAL, { input: { serialNumbers: [mine[0]] } }); // already expired below
    const serials = [...mine.slice(0, 20), 'NOPE0001', foreign, mine[1], '', mine[19]]; // 25: repeats of mine[1] and mine[19]
    const res = await gql(h.baseUrl, token, INDIVIDUAL, { input: { serialNumbers: serials } });
    expect(res.body.errors).toBeUndefined();
    const { successList, failureList } = res.body.data.invalidateIndividualPass;
    expect(successList).toEqual(mine.slice(1, 20));
    const reasons = Object.fromEntries(failureList.map((f: { serialNumber: string; error: string }) => [f.serialNumber, f.error]));
    expect(reasons[mine[0]]).toMatch(/^row 1: the pass has already expired/);
    expect(reasons.NOPE0001).toBe('row 21: no pass with this serial number in your organisation');
    expect(reasons[foreign]).toBe('row 22: no pass with this serial number in your organisation');
    expect(failureList).toContainEqual({ serialNumber: mine[1], error: `row 23: serial number ${mine[1]} is already in row 2 of this request` });
    expect(failureList).toContainEqual({ serialNumber: '', error: 'row 24: serialNumber is empty' });
    expect(failureList).toHaveLength(6);
    const expired = await h.deps.db('passes').whereIn('serial_number', mine).where({ is_expired: true }).count<{ c: number }[]>('* as c');
    expect(expired[0].c).toBe(20);
    const foreignPass = await h.deps.db('passes').where({ serial_number: foreign }).first();
    expect(foreignPass.is_expired).toBe(false);
  });

  it('refuses 26 serials, and an expiryTime in the past, naming the field', async () => {
    const { org } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const res = await gql(h.baseUrl, token, INDIVIDUAL, { input: { serialNumbers: Array.from({ length: 26 }, (_, i) => `S${i}`) } });
    expect(res.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^input\.serialNumbers: individual invalidation is limited to 25 passes per request \(got 26\)/),
      extensions: { code: 'BAD_USER_INPUT', field: 'input.serialNumbers' },
    });
    const past = await gql(h.baseUrl, token, INDIVIDUAL, { input: { serialNumbers: ['S1'], expiryTime: '2020-01-01T00:00:00Z' } });
    expect(past.body.errors?.[0].message).toBe('input.expiryTime: must not be in the past (omit it to expire now)');
    expect(await h.deps.db('invalidation_requests').where({ organisation_id: org.id })).toHaveLength(0);
  });

  it('schedules a future expiry, refusing a pass past its anniversary + 1 year limit', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const [fresh, old] = await distribute(token, title, 2);
    // "old" was created 23 months ago: its limit is its next anniversary (in a month) + 1 year.
    await h.deps.db('passes').where({ serial_number: old }).update({ created_at: new Date(Date.now() - 700 * 86_400_000) });
    const expiryTime = new Date(Date.now() + 500 * 86_400_000).toISOString();
    const res = await gql(h.baseUrl, token, INDIVIDUAL, { input: { serialNumbers: [fresh, old], expiryTime } });
    expect(res.body.data.invalidateIndividualPass.successList).toEqual([fresh]);
    expect(res.body.data.invalidateIndividualPass.failureList[0].error).toMatch(/^row 2: expiryTime .* is after this pass's limit .* \(its next creation anniversary \+ 1 year\)$/);
    const pass = await h.deps.db('passes').where({ serial_number: fresh }).first();
    expect(pass).toMatchObject({ is_expired: false, expired_timestamp: new Date(expiryTime) });
    const request = await h.deps.db('invalidation_requests').where({ organisation_id: org.id }).first();
    expect(request.status).toBe('Scheduled');
    const desc = await h.deps.temporal!.workflow.getHandle(`invalidation-${org.id}-${request.id}`).describe();
    expect(desc.status.name).toBe('RUNNING'); // waiting on its durable timer
  });

  it('invalidates a 5,000-row CSV batch with results CSVs and a verified callback', async () => {
    const { org, title } = await createTestOrg(h.deps, { callbackUrl: `${h.receiverUrl}/invalidations` });
    const token = await tokenFor(h.deps, org.id);
    const rows = Array.from({ length: 4990 }, (_, i) => ({ externalReferenceID: `e${i}`, dynamicFields: { membership_number: `${i}`, membership_name: 'N' } }));
    const dist = await gql(h.baseUrl, token, DISTRIBUTE_BATCH, { i: { title, passDetails: rows } });
    const distId = /request ([0-9a-f-]{36})/.exec(dist.body.data.distributePassBatch.message)![1];
    await h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${distId}`).result();
    const serials = (await h.deps.db('passes').where({ distribution_request_id: distId }).orderBy('serial_number').pluck('serial_number')) as string[];
    const csv = ['serialNumber', ...serials, ...Array.from({ length: 10 }, (_, i) => `UNKNOWN${i}`)].join('\n');
    const res = await gqlUpload(h.baseUrl, token, `mutation($input: InvalidationRequestCSV) { invalidatePassesCSV(input: $input) { message } }`, { input: { file: null } }, { path: 'variables.input.file', content: csv });
    expect(res.body.errors).toBeUndefined();
    const requestId = /request ([0-9a-f-]{36})/.exec(res.body.data.invalidatePassesCSV.message)![1];

    await h.receiver.waitFor((reqs) => reqs.some((r) => r.body.includes(requestId)));
    const cb = h.receiver.requests.filter((r) => r.body.includes(requestId));
    expect(cb).toHaveLength(1);
    expect(verifyStandardWebhook(org.webhook_secret, cb[0].headers, cb[0].body)).toBe(true);
    const payload = JSON.parse(cb[0].body);
    expect(payload).toMatchObject({ requestID: requestId, successCount: 4990, failureCount: 10 });
    const get = async (url: string) => (await fetch(url.replace(h.deps.config.publicBaseUrl, h.baseUrl), { headers: { authorization: `Bearer ${token}` } })).text();
    const success: { serialNumber: string }[] = parse(await get(payload.successResultsURL), { columns: true });
    const failure: { serialNumber: string; error: string }[] = parse(await get(payload.failureResultsURL), { columns: true });
    expect(success).toHaveLength(4990);
    expect(failure).toHaveLength(10);
    expect(failure[0]).toEqual({ serialNumber: 'UNKNOWN0', error: 'row 4991: no pass with this serial number in your organisation' });
    expect(await h.deps.db('passes').where({ distribution_request_id: distId, is_expired: false })).toHaveLength(0);

    const page = await gql(h.baseUrl, token, `query { getPaginatedInvalidationRequests(input: { batchSize: 5 }) {
      invalidationDocs { batchCount isBatchRequest jobIssuer status successCount failureCount successResults failureResults } lastDocID } }`);
    expect(page.body.data.getPaginatedInvalidationRequests.invalidationDocs).toEqual([
      expect.objectContaining({ batchCount: 5000, isBatchRequest: true, status: 'Complete', successCount: 4990, failureCount: 10, successResults: expect.stringContaining('/files/') }),
    ]);
  });

  it('expires 10,000 passes distributed with one expiredTimestamp 20 s ahead within 15 s of it, with a handful of workflows', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ externalReferenceID: `e${i}`, dynamicFields: { membership_number: `${i}`, membership_name: 'N' } }));
    // Far enough ahead that the passes exist before they fall due even on a loaded machine (the
    // batch takes ~3 s on an idle one, over 10 s with eight developers' test suites on two cores).
    const started = new Date();
    const at = new Date(started.getTime() + 20_000);
    const res = await gql(h.baseUrl, token, DISTRIBUTE_BATCH, { i: { title, passDetails: rows.map((r) => ({ ...r, expiredTimestamp: at.toISOString() })) } });
    const requestId = /request ([0-9a-f-]{36})/.exec(res.body.data.distributePassBatch.message)![1];
    await h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestId}`).result();
    expect(await h.deps.db('passes').where({ distribution_request_id: requestId, is_expired: false })).toHaveLength(10_000);
    const doneAt = await eventually(async () => {
      const [{ c }] = await h.deps.db('passes').where({ distribution_request_id: requestId, is_expired: true }).count<{ c: number }[]>('* as c');
      return c === 10_000 ? Date.now() : undefined;
    }, 30_000, 100);
    expect(doneAt - at.getTime()).toBeLessThan(15_000);
    expect(doneAt).toBeGreaterThanOrEqual(at.getTime() - 50);
    const expiredEarly = await h.deps.db('passes').where({ distribution_request_id: requestId }).andWhere('last_modified', '<', at).andWhere({ is_expired: true });
    expect(expiredEarly).toHaveLength(0);

    let workflows = 0;
    for await (const _ of h.deps.temporal!.workflow.list({ query: `TaskQueue = '${h.taskQueue}' AND StartTime > '${new Date(started.getTime() - 1_000).toISOString()}'` })) workflows++;
    expect(workflows).toBeLessThanOrEqual(5); // the distribution and the one expiry scheduler (and its continuations)
  });
});
