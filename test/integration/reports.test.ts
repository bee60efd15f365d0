import crypto from 'node:crypto';
import { createPassDesign, defaultPresentation } from '../../src/services/passDesigns';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

/** Monthly reports computed from the passes' own distribution, invalidation and redemption times. */
describe('reports', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  const at = (iso: string) => new Date(iso);

  async function setup() {
    const t = await createTestOrg(h.deps);
    await createPassDesign(h.deps.db, {
      organisationId: t.org.id, title: 'Day Ticket', prefix: String(crypto.randomInt(10_000_000, 99_999_999)), dynamicFieldKeys: t.fields,
      actor: 'test', presentation: defaultPresentation(t.org.name, 'Day Ticket', t.fields, 'http://x'),
    });
    await h.deps.db('pass_designs').where({ organisation_id: t.org.id, title: 'Day Ticket' }).update({ pass_type: 'ShortTerm' });
    const token = await tokenFor(h.deps, t.org.id, ['Owner'], 'reports@example.test');
    const distribute = async (title: string, n: number) => {
      const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } } }`, {
        i: { title, passDetails: Array.from({ length: n }, (_, k) => ({ externalReferenceID: `r${k}`, dynamicFields: { membership_number: String(k), membership_name: 'N' } })) },
      });
      return res.body.data.distributeIndividualPass.successList.map((s: { serialNumber: string }) => s.serialNumber) as string[];
    };
    const set = (serial: string, patch: Record<string, unknown>) => h.deps.db('passes').where({ serial_number: serial }).update(patch);
    return { ...t, token, distribute, set };
  }

  it('getPassDesignMonthlyReport: daily distributions and invalidations, redemptions by wallet, for one design', async () => {
    const { token, title, distribute, set } = await setup();
    const gym = await distribute(title, 6);
    const day = await distribute('Day Ticket', 1);
    await set(gym[0], { created_at: at('2023-06-03T08:00:00Z') });
    await set(gym[1], { created_at: at('2023-06-03T23:59:59Z'), is_expired: true, expired_timestamp: at('2023-06-05T10:00:00Z') });
    await set(gym[2], { created_at: at('2023-06-30T12:00:00Z'), is_redeemed: true, device_os: 'Apple', redeemed_timestamp: at('2023-06-30T13:00:00Z') });
    await set(gym[3], { created_at: at('2023-05-31T23:00:00Z'), is_redeemed: true, device_os: 'Google', redeemed_timestamp: at('2023-06-01T00:30:00Z') });
    // Scheduled but not yet expired: not an invalidation. Expired in July: not in June.
    await set(gym[4], { created_at: at('2023-05-01T00:00:00Z'), is_expired: false, expired_timestamp: at('2023-06-20T00:00:00Z') });
    await set(gym[5], { created_at: at('2023-06-10T00:00:00Z'), is_expired: true, expired_timestamp: at('2023-07-01T00:00:00Z') });
    await set(day[0], { created_at: at('2023-06-03T09:00:00Z') }); // another design

    const res = await gql(h.baseUrl, token, `query($input: GetPassDesignMonthlyReportRequest) { getPassDesignMonthlyReport(input: $input) {
      appleCount distributionCount googleCount invalidationCount lastModified reportingPeriod } }`, { input: { passDesignTitle: title, reportingPeriod: 'June 2023' } });
    expect(res.body.errors).toBeUndefined();
    const [report] = res.body.data.getPassDesignMonthlyReport;
    const days = (entries: Record<number, number>) => Array.from({ length: 30 }, (_, i) => entries[i + 1] ?? 0);
    expect(report).toEqual({
      reportingPeriod: 'June 2023',
      distributionCount: days({ 3: 2, 10: 1, 30: 1 }),
      invalidationCount: days({ 5: 1 }),
      appleCount: 1,
      googleCount: 1,
      lastModified: '2023-06-30T13:00:00.000Z',
    });

    const empty = await gql(h.baseUrl, token, `query { getPassDesignMonthlyReport(input: { passDesignTitle: "${title}", reportingPeriod: "february 2024" }) { distributionCount lastModified reportingPeriod } }`);
    expect(empty.body.data.getPassDesignMonthlyReport).toEqual([{ distributionCount: new Array(29).fill(0), lastModified: '2024-02-01T00:00:00.000Z', reportingPeriod: 'February 2024' }]);
  });

  it('getUsageReporting: per pass type, with users and redemptions', async () => {
    const { org, token, title, distribute, set } = await setup();
    const gym = await distribute(title, 3);
    const day = await distribute('Day Ticket', 2);
    await set(gym[0], { created_at: at('2023-06-02T08:00:00Z') });
    await set(gym[1], { created_at: at('2023-06-02T09:00:00Z'), is_expired: true, expired_timestamp: at('2023-06-12T00:00:00Z') });
    await set(gym[2], { created_at: at('2023-06-20T09:00:00Z'), is_redeemed: true, device_os: 'Google', redeemed_timestamp: at('2023-06-21T00:00:00Z') });
    await set(day[0], { created_at: at('2023-06-07T09:00:00Z'), is_expired: true, expired_timestamp: at('2023-06-08T00:00:00Z') });
    await set(day[1], { created_at: at('2023-06-07T10:00:00Z'), is_redeemed: true, device_os: 'Apple', redeemed_timestamp: at('2023-06-07T11:00:00Z') });
    await h.deps.db('audit_events').where({ organisation_id: org.id }).update({ created_at: at('2023-06-02T08:00:00Z') });

    const res = await gql(h.baseUrl, token, `query($input: ReportingPeriod) { getUsageReporting(input: $input) {
      lastModified longTermInvalidationCount longTermPassesCount recurringPassesCount reportingPeriod shortTermInvalidationCount
      shortTermPassesCount userCount xUseInvalidationCount xUsePassesCount appleRedemptions googleRedemptions } }`, { input: { reportingPeriod: 'June 2023' } });
    expect(res.body.errors).toBeUndefined();
    const days = (entries: Record<number, number>) => Array.from({ length: 30 }, (_, i) => entries[i + 1] ?? 0);
    expect(res.body.data.getUsageReporting).toEqual([{
      reportingPeriod: 'June 2023',
      longTermPassesCount: days({ 2: 2, 20: 1 }),
      longTermInvalidationCount: days({ 12: 1 }),
      shortTermPassesCount: days({ 7: 2 }),
      shortTermInvalidationCount: days({ 8: 1 }),
      xUsePassesCount: days({}),
      xUseInvalidationCount: days({}),
      recurringPassesCount: 0,
      userCount: 1,
      appleRedemptions: 1,
      googleRedemptions: 1,
      lastModified: '2023-06-21T00:00:00.000Z',
    }]);
  });

  it('rejects bad periods and unknown designs naming the field', async () => {
    const { token } = await setup();
    const usage = (p: string) => gql(h.baseUrl, token, `query($input: ReportingPeriod) { getUsageReporting(input: $input) { reportingPeriod } }`, { input: { reportingPeriod: p } });
    expect((await usage('2023-06')).body.errors?.[0]).toMatchObject({
      message: 'input.reportingPeriod: must be a month and year such as "October 2022", got "2023-06"', extensions: { code: 'BAD_USER_INPUT', field: 'input.reportingPeriod' },
    });
    expect((await usage('January 2999')).body.errors?.[0].message).toBe('input.reportingPeriod: must not be a future month');
    const unknown = await gql(h.baseUrl, token, `query { getPassDesignMonthlyReport(input: { passDesignTitle: "Nope", reportingPeriod: "June 2023" }) { appleCount } }`);
    expect(unknown.body.errors?.[0]).toMatchObject({ message: 'input.passDesignTitle: no pass design titled "Nope"', extensions: { code: 'NOT_FOUND' } });
    // Another organisation's design is not found either.
    await createTestOrg(h.deps, { title: 'Private Design' });
    const foreign = await gql(h.baseUrl, token, `query { getPassDesignMonthlyReport(input: { passDesignTitle: "Private Design", reportingPeriod: "June 2023" }) { appleCount } }`);
    expect(foreign.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
