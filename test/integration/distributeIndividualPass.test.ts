import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

const DISTRIBUTE = `
  mutation DistributeIndividualPass($input: DistributionRequest) {
    distributeIndividualPass(input: $input) {
      successList { customFieldData externalReferenceID payload passDownloadLink serialNumber deliveryMethod passApiKey }
      failureList { dynamicFieldData externalReferenceID error }
    }
  }`;

const row = (i: number) => ({
  externalReferenceID: `ext-${i}`,
  dynamicFields: { membership_number: String(1000 + i), membership_name: `Member ${i}` },
});

describe('distributeIndividualPass (real API + PostgreSQL)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  it('creates 25 passes with consecutive serials and returns them', async () => {
    const { org, prefix, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const res = await gql(h.baseUrl, token, DISTRIBUTE, { input: { title, passDetails: Array.from({ length: 25 }, (_, i) => row(i)) } });
    expect(res.body.errors).toBeUndefined();
    const { successList, failureList } = res.body.data.distributeIndividualPass;
    expect(failureList).toEqual([]);
    expect(successList).toHaveLength(25);
    expect(successList.map((p: { serialNumber: string }) => p.serialNumber)).toEqual(
      Array.from({ length: 25 }, (_, i) => `${prefix}${String(i + 1).padStart(8, '0')}`),
    );
    expect(successList[0]).toMatchObject({
      customFieldData: { membership_number: '1000', membership_name: 'Member 0' },
      externalReferenceID: 'ext-0',
      deliveryMethod: 'None',
      passDownloadLink: expect.stringContaining('/pass-download?details='),
      passApiKey: expect.any(String),
    });
    const stored = await h.deps.db('passes').where({ organisation_id: org.id }).count<{ count: string }[]>('* as count');
    expect(Number(stored[0].count)).toBe(25);
    const requests = await h.deps.db('distribution_requests').where({ organisation_id: org.id });
    expect(requests).toEqual([expect.objectContaining({ is_batch_request: false, batch_count: 25, success_count: 25, status: 'Complete' })]);
  });

  it('refuses 26 passes with an error naming the field and the limit, writing nothing', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const res = await gql(h.baseUrl, token, DISTRIBUTE, { input: { title, passDetails: Array.from({ length: 26 }, (_, i) => row(i)) } });
    expect(res.body.data).toBeNull();
    expect(res.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/input\.passDetails: individual distribution is limited to 25 passes per request \(got 26\)/),
      extensions: { code: 'BAD_USER_INPUT', field: 'input.passDetails' },
    });
    expect(await h.deps.db('passes').where({ organisation_id: org.id }).first()).toBeUndefined();
  });

  it('answers NOT_FOUND for an unknown design title', async () => {
    const { org } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const res = await gql(h.baseUrl, token, DISTRIBUTE, { input: { title: 'No Such Design', passDetails: [row(1)] } });
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'input.title: no pass design titled "No Such Design"',
      extensions: { code: 'NOT_FOUND', field: 'input.title' },
    });
  });

  it('fails a row with a missing dynamic field alone, with the reason', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const bad = { externalReferenceID: 'bad', dynamicFields: { membership_number: '7' } };
    const res = await gql(h.baseUrl, token, DISTRIBUTE, { input: { title, passDetails: [row(1), bad, row(2)] } });
    const { successList, failureList } = res.body.data.distributeIndividualPass;
    expect(successList).toHaveLength(2);
    expect(failureList).toEqual([
      {
        dynamicFieldData: { membership_number: '7' },
        externalReferenceID: 'bad',
        error: 'passDetails[1]: dynamicFields: missing required field(s) membership_name',
      },
    ]);
  });

  it('never duplicates a serial number across 20 concurrent requests', async () => {
    const { org, title } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => gql(h.baseUrl, token, DISTRIBUTE, { input: { title, passDetails: Array.from({ length: 5 }, (_, i) => row(i)) } })),
    );
    const serials = results.flatMap((r) => {
      expect(r.body.errors).toBeUndefined();
      return r.body.data.distributeIndividualPass.successList.map((p: { serialNumber: string }) => p.serialNumber);
    });
    expect(serials).toHaveLength(100);
    expect(new Set(serials).size).toBe(100);
    const card = serials.map((s: string) => Number(s.slice(-8))).sort((a: number, b: number) => a - b);
    expect(card).toEqual(Array.from({ length: 100 }, (_, i) => i + 1)); // no gaps either
  });

  it('skips reserved serial ranges', async () => {
    const { org, title, design } = await createTestOrg(h.deps);
    await h.deps.db('serial_sequences').where({ id: design.serial_sequence_id }).update({
      reserved_ranges: JSON.stringify([{ start: 2, end: 4, count: 3, processed: false }]),
    });
    const token = await tokenFor(h.deps, org.id);
    const res = await gql(h.baseUrl, token, DISTRIBUTE, { input: { title, passDetails: [row(1), row(2), row(3)] } });
    const cards = res.body.data.distributeIndividualPass.successList.map((p: { serialNumber: string }) => Number(p.serialNumber.slice(-8)));
    expect(cards).toEqual([1, 5, 6]);
  });
});
