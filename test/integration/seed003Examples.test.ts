import fixture from '../fixtures/seed003-operations.json';
import { parse, validate } from 'graphql';
import { buildExecutableSchema } from '../../src/api/graphql/schema';
import { startInvoicingRun } from '../../src/temporal/schedules';
import { updateOrganisation } from '../../src/services/organisations';
import { createTestOrg, gql, GqlResult, gqlUpload, Harness, startHarness, tokenFor } from '../helpers/harness';

/**
 * Every example operation of seed 003, unchanged, against /query with realistic variables: no
 * GraphQL validation error, and for the operations built so far a real result from real data.
 */
interface Operation {
  field: string;
  kind: 'query' | 'mutation';
  document: string;
}
const { fragments, operations } = fixture as { fragments: string; operations: Operation[] };

/** The fragment definitions an operation uses (transitively): GraphQL rejects unused ones. */
function withFragments(document: string): string {
  const defs = new Map<string, string>();
  for (const def of fragments.split(/\n(?=fragment )/)) {
    const name = /^fragment (\w+)/.exec(def.trim())?.[1];
    if (name) defs.set(name, def.trim());
  }
  const used = new Set<string>();
  const visit = (text: string) => {
    for (const [, name] of text.matchAll(/\.\.\.(\w+)/g)) {
      if (!used.has(name) && defs.has(name)) {
        used.add(name);
        visit(defs.get(name)!);
      }
    }
  };
  visit(document);
  return [document, ...[...used].map((n) => defs.get(n)!)].join('\n\n');
}

/** Errors GraphQL raises before executing: document validation and variable coercion (no `path`). */
const requestErrors = (res: GqlResult) => (res.body.errors ?? []).filter((e) => !(e as { path?: unknown }).path);

describe('seed 003 example operations', () => {
  let h: Harness;
  let token: string;
  let title: string;
  let serials: string[];
  let passApiKey: string;
  beforeAll(async () => {
    h = await startHarness();
    const t = await createTestOrg(h.deps, { title: 'Gym Membership' });
    title = t.title;
    await updateOrganisation(h.deps.db, t.org.id, { pricePerPass: 10 });
    token = await tokenFor(h.deps, t.org.id, ['Owner'], 'example@email.com');
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber passApiKey } } }`, {
      i: { title, passDetails: ['ab12', 'cd34', 'ef56'].map((ref, i) => ({ externalReferenceID: ref, dynamicFields: { membership_number: `123456789000${i}`, membership_name: 'Some Name' } })) },
    });
    serials = res.body.data.distributeIndividualPass.successList.map((s: { serialNumber: string }) => s.serialNumber);
    passApiKey = res.body.data.distributeIndividualPass.successList[0].passApiKey;
    // October 2022 (the seed's example period): two of the passes were distributed then, one redeemed on Apple.
    await h.deps.db('passes').whereIn('serial_number', serials.slice(0, 2)).update({ created_at: new Date('2022-10-03T09:00:00Z') });
    await h.deps.db('passes').where({ serial_number: serials[0] }).update({ is_redeemed: true, device_os: 'Apple', redeemed_timestamp: new Date('2022-10-04T09:00:00Z') });
  });
  afterAll(() => h.close());

  const beacon = { title: 'Some Title', proximityUUID: 'ABA71543-A2C5-4FB1-AFCF-A3AB01234567', major: 27201, minor: 43985, messageText: 'Welcome to our facility. Access your pass here!' };
  const location = { title: 'Some Title', altitude: 10, latitude: 56.484146760301854, longitude: -3.018581082165732, messageText: 'Welcome to our facility. Access your pass here!' };
  const template = { title: 'special-offer-email-template', body: 'Some body', footer: 'Some footer', imageURL: 'https://www.somelinktofile.com/logo.png', preheader: 'Some preheader', subject: 'Some subject', type: 'Email' };
  const now = () => new Date().toISOString();

  let reportID = '';
  /** Variables per operation, and what a real result looks like, in the order they run. */
  const cases: { field: string; variables: () => Record<string, unknown>; expectData: (data: any) => void }[] = [
    { field: 'createNewBeacon', variables: () => ({ input: beacon }), expectData: (d) => expect(d.message).toBe('Beacon "Some Title" created') },
    { field: 'updateBeacon', variables: () => ({ input: { ...beacon, minor: 1 } }), expectData: (d) => expect(d.message).toBe('Beacon "Some Title" updated') },
    { field: 'createNewLocation', variables: () => ({ input: location }), expectData: (d) => expect(d.message).toMatch(/created/) },
    { field: 'updateLocation', variables: () => ({ input: { ...location, altitude: 12 } }), expectData: (d) => expect(d.message).toMatch(/updated/) },
    { field: 'createNewPassDeliveryTemplate', variables: () => ({ input: template }), expectData: (d) => expect(d.message).toMatch(/created/) },
    { field: 'updatePassDeliveryTemplate', variables: () => ({ input: { ...template, subject: 'New subject' } }), expectData: (d) => expect(d.message).toMatch(/updated/) },
    { field: 'uploadOrgPurchaseOrderNumber', variables: () => ({ input: { purchaseOrderNumber: 'abc123' } }), expectData: (d) => expect(d.message).toMatch(/abc123/) },
    {
      field: 'distributeIndividualPass',
      variables: () => ({ input: { title, passDetails: [{ externalReferenceID: 'gh78', dynamicFields: { membership_number: '1234567890009', membership_name: 'Some Name' }, deliveryMethod: 'Email', deliveryAddress: 'someone@example.com', deliverySalutation: 'Dear', deliveryName: 'Some Name', deliveryTemplate: 'special-offer-email-template', beacons: ['Some Title'], locations: ['Some Title'] }] } }),
      expectData: (d) => expect(d.successList).toHaveLength(1),
    },
    { field: 'externalPassDownload', variables: () => ({ input: { deviceOS: 'Apple', encryptedDetails: passApiKey } }), expectData: (d) => expect(d.message).toMatch(/\/pass-download\?details=.*&deviceOS=Apple$/) },
    { field: 'getOrganisationPassDesignByTitle', variables: () => ({ input: { title } }), expectData: (d) => expect(d).toMatchObject({ title, totalDistributionCount: 4, appleRedemptions: 1 }) },
    { field: 'getPaginatedPassDesigns', variables: () => ({ input: { batchSize: 10 } }), expectData: (d) => expect(d.passDesignDocs.map((x: { title: string }) => x.title)).toEqual([title]) },
    { field: 'verifyPassDesignTitleExists', variables: () => ({ input: { passDesignTitle: title } }), expectData: (d) => expect(d.message).toMatch(/already exists/) },
    { field: 'getSerialNumberByPrefix', variables: () => ({ input: { serialPrefix: serials[0].slice(0, 8) } }), expectData: (d) => expect(d.latestCardNumber).toBe(4) },
    { field: 'getPassesByExternalRefID', variables: () => ({ input: { externalReferenceID: 'ab12' } }), expectData: (d) => expect(d).toEqual([expect.objectContaining({ serial: expect.objectContaining({ serialNumber: serials[0] }) })]) },
    { field: 'getPaginatedBeacons', variables: () => ({ input: { batchSize: 10 } }), expectData: (d) => expect(d.beacons).toEqual([expect.objectContaining({ title: 'Some Title', minor: 1, creator: 'example@email.com' })]) },
    { field: 'verifyBeaconExists', variables: () => ({ input: { title: 'Some Title' } }), expectData: (d) => expect(d.message).toMatch(/already exists/) },
    { field: 'getPaginatedLocations', variables: () => ({ input: { batchSize: 10 } }), expectData: (d) => expect(d.locations).toEqual([expect.objectContaining({ title: 'Some Title', altitude: 12 })]) },
    { field: 'verifyLocationExists', variables: () => ({ input: { title: 'Another Title' } }), expectData: (d) => expect(d.message).toMatch(/is available/) },
    {
      field: 'getPaginatedPassDeliveryTemplates',
      variables: () => ({ input: { passTemplateType: 'Email', batchCount: 10 } }),
      expectData: (d) => expect(d.passDeliveryTemplates).toEqual([expect.objectContaining({ title: 'special-offer-email-template', subject: 'New subject', type: 'Email' })]),
    },
    { field: 'verifyDeliveryTemplateAvailable', variables: () => ({ input: { deliveryTitle: 'special-offer-email-template' } }), expectData: (d) => expect(d.message).toMatch(/already exists/) },
    {
      field: 'getPassDesignMonthlyReport',
      variables: () => ({ input: { passDesignTitle: title, reportingPeriod: 'October 2022' } }),
      expectData: (d) => expect(d).toEqual([expect.objectContaining({ reportingPeriod: 'October 2022', appleCount: 1, distributionCount: expect.arrayContaining([2]) })]),
    },
    {
      field: 'getUsageReporting',
      variables: () => ({ input: { reportingPeriod: 'October 2022' } }),
      expectData: (d) => expect(d[0].longTermPassesCount.reduce((a: number, b: number) => a + b)).toBe(2),
    },
    {
      field: 'getPaginatedInvoices',
      variables: () => ({ input: { batchSize: 10 } }),
      expectData: (d) => expect(d.invoicesDocs).toEqual([expect.objectContaining({ billingPeriod: 'October 2022', longTermCount: 2, longTermCharge: 20, vatAmount: 4, amount: 24 })]),
    },
    {
      field: 'distributePassBatch',
      variables: () => ({ input: { title, passDetails: [{ externalReferenceID: 'ij90', dynamicFields: { membership_number: '1234567890010', membership_name: 'Some Name' } }] } }),
      expectData: (d) => expect(d.message).toMatch(/^Distribution request [0-9a-f-]{36} accepted: 1 passes queued$/),
    },
    {
      field: 'getPaginatedDistributionRequests',
      variables: () => ({ input: { batchSize: 10 } }),
      expectData: (d) => expect(d.distributionDocs).toContainEqual(expect.objectContaining({ isBatchRequest: true, batchCount: 1, passDesignTitle: title })),
    },
    { field: 'invalidateIndividualPass', variables: () => ({ input: { serialNumbers: [serials[2]] } }), expectData: (d) => expect(d).toEqual({ successList: [serials[2]], failureList: [] }) },
    {
      field: 'invalidateBatchPasses',
      variables: () => ({ input: { serialNumbers: [serials[1]], expiryTime: new Date(Date.now() + 86_400_000).toISOString() } }),
      expectData: (d) => expect(d.message).toMatch(/^Invalidation request [0-9a-f-]{36} accepted: 1 passes to expire at /),
    },
    {
      field: 'getPaginatedInvalidationRequests',
      variables: () => ({ input: { batchSize: 10 } }),
      expectData: (d) => expect(d.invalidationDocs.map((x: { isBatchRequest: boolean }) => x.isBatchRequest).sort()).toEqual([false, true]),
    },
    { field: 'updatePassPayload', variables: () => ({ input: { serialNumber: serials[0], payload: 'abc123' } }), expectData: (d) => expect(d.message).toBe(`Pass ${serials[0]} payload updated`) },
    {
      field: 'updatePassUserDetails',
      variables: () => ({ input: { serialNumber: serials[0], dynamicFieldData: { membership_number: '1234567890001', membership_name: 'Other Name' }, beacons: ['Some Title'], locations: [] } }),
      expectData: (d) => expect(d.message).toBe(`Pass ${serials[0]} updated: dynamicFieldData, beacons, locations`),
    },
    {
      field: 'forgetUserDetailsForPass',
      variables: () => ({ input: { serialNumber: serials[0] } }),
      expectData: (d) => expect(d.message).toMatch(new RegExp(`^Pass ${serials[0]} has been expired; `)),
    },
    {
      field: 'generateAuditLogReport',
      variables: () => ({ input: { startTime: new Date(Date.now() - 3 * 86_400_000).toISOString(), endTime: now(), emailAddresses: ['example@email.com'], emailAddressFilter: '', categoryFilter: 'Beacons' } }),
      expectData: (d) => {
        expect(d.reportID).toEqual(expect.any(String));
        reportID = d.reportID;
      },
    },
    {
      field: 'getPaginatedReportingRequest',
      variables: () => ({ input: { reportType: 'AuditLogReport', batchSize: 10, startTime: new Date(Date.now() - 86_400_000).toISOString(), endTime: new Date(Date.now() + 60_000).toISOString() } }),
      expectData: (d) => expect(d.reportingRequestList).toEqual([expect.objectContaining({ reportType: 'AuditLogReport', requester: expect.any(String) })]),
    },
    {
      field: 'getReportingRequestByReportID',
      variables: () => ({ input: { reportID } }),
      expectData: (d) => expect(d).toMatchObject({ reportType: 'AuditLogReport' }),
    },
  ];
  /** The two upload operations, sent as GraphQL multipart requests with a CSV file. */
  const uploads: { field: string; variables: () => Record<string, unknown>; csv: () => string; expect: RegExp }[] = [
    {
      field: 'distributePassesCSV',
      variables: () => ({ input: { title, file: null } }),
      csv: () => 'externalReferenceID,membership_number,membership_name\nkl12,1234567890011,Some Name\n',
      expect: /^Distribution request [0-9a-f-]{36} accepted: 1 passes queued$/,
    },
    {
      field: 'invalidatePassesCSV',
      variables: () => ({ input: { file: null, expiryTime: new Date(Date.now() + 86_400_000).toISOString() } }),
      csv: () => `serialNumber\n${serials[3]}\n`,
      expect: /^Invalidation request [0-9a-f-]{36} accepted: 1 passes to expire at /,
    },
  ];

  it('covers every example operation of the seed', () => {
    expect([...cases.map((c) => c.field), ...uploads.map((u) => u.field)].sort()).toEqual(operations.map((o) => o.field).sort());
  });

  it('validates every example document against the schema', () => {
    const schema = buildExecutableSchema();
    for (const op of operations) expect([op.field, validate(schema, parse(withFragments(op.document)))]).toEqual([op.field, []]);
  });

  it('runs every example operation with realistic variables and gets a real result', async () => {
    // Invoices come from the monthly invoicing workflow, run for the example month.
    const run = await startInvoicingRun(h.deps.temporal!, h.taskQueue, '2022-10');
    await run.result();
    for (const c of cases) {
      const op = operations.find((o) => o.field === c.field)!;
      const res = await gql(h.baseUrl, token, withFragments(op.document), c.variables());
      expect([c.field, res.status, requestErrors(res)]).toEqual([c.field, 200, []]);
      expect([c.field, res.body.errors]).toEqual([c.field, undefined]);
      const data = res.body.data[c.field];
      expect(data).toBeTruthy();
      c.expectData(data);
    }
    for (const u of uploads) {
      const op = operations.find((o) => o.field === u.field)!;
      const res = await gqlUpload(h.baseUrl, token, withFragments(op.document), u.variables(), { path: 'variables.input.file', content: u.csv() });
      expect([u.field, res.body.errors]).toEqual([u.field, undefined]);
      expect(res.body.data[u.field].message).toMatch(u.expect);
    }
  });
});
