import { createOrganisation } from '../../src/services/organisations';
import { createPassDesign, defaultPresentation } from '../../src/services/passDesigns';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

describe('pass design queries', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  it('pages through designs newest first with the seed cursor, without repeats', async () => {
    const { org } = await createTestOrg(h.deps, { title: 'Design 0' });
    for (let i = 1; i < 7; i++) {
      await createPassDesign(h.deps.db, {
        organisationId: org.id,
        title: `Design ${i}`,
        prefix: `${org.id.slice(-6).replace(/\D/g, '9')}${i}`.replace(/^\D/, '8'),
        dynamicFieldKeys: ['k'],
        actor: 'test',
        presentation: defaultPresentation(org.name, `Design ${i}`, ['k'], 'http://x'),
      });
    }
    const token = await tokenFor(h.deps, org.id);
    const PAGE = `query($input: GetPaginatedPassDesignRequest) { getPaginatedPassDesigns(input: $input) {
      passDesignDocs { title totalDistributionCount metaData { lastModified } } lastModifiedTimestamp lastDocID } }`;
    const seen: string[] = [];
    let cursor: { lastModifiedTimestamp?: string; lastDocID?: string } = {};
    for (let i = 0; i < 4; i++) {
      const res = await gql(h.baseUrl, token, PAGE, { input: { batchSize: 3, ...cursor } });
      expect(res.body.errors).toBeUndefined();
      const page = res.body.data.getPaginatedPassDesigns;
      seen.push(...page.passDesignDocs.map((d: { title: string }) => d.title));
      if (!page.lastDocID) break;
      cursor = { lastModifiedTimestamp: page.lastModifiedTimestamp, lastDocID: page.lastDocID };
    }
    expect(seen).toEqual(['Design 6', 'Design 5', 'Design 4', 'Design 3', 'Design 2', 'Design 1', 'Design 0']);
  });

  it('rejects a batchSize out of range naming the field', async () => {
    const { org } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const res = await gql(h.baseUrl, token, `query { getPaginatedPassDesigns(input: { batchSize: 0 }) { lastDocID } }`);
    expect(res.body.errors?.[0]).toMatchObject({ message: 'input.batchSize: must be at least 1', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('returns the full PassDesign with live counters, and verifies titles', async () => {
    const { org, title, prefix } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } } }`, {
      i: { title, passDetails: [{ externalReferenceID: '', dynamicFields: { membership_number: '1', membership_name: 'A' } }] },
    });
    const res = await gql(h.baseUrl, token, `query($input: GetPassDesignByTitleRequest) { getOrganisationPassDesignByTitle(input: $input) {
      title serialPrefix countryCode issuingOrganisation dynamicFieldKeys totalDistributionCount lastDistributionDate appleRedemptions
      backgroundColor { red green blue } passDesignDefaultFields { cardTitle header } primaryFields { size items { key label position } } } }`,
      { input: { title } });
    expect(res.body.data.getOrganisationPassDesignByTitle).toMatchObject({
      title,
      serialPrefix: prefix,
      dynamicFieldKeys: ['membership_number', 'membership_name'],
      totalDistributionCount: 1,
      appleRedemptions: 0,
      lastDistributionDate: expect.any(String),
      primaryFields: { size: 2, items: [{ key: 'membership_number', label: 'Membership Number', position: 1 }, expect.anything()] },
    });
    const verify = (t: string) =>
      gql(h.baseUrl, token, `query($i: VerifyPassDesignTitleExistsInput) { verifyPassDesignTitleExists(input: $i) { message } }`, { i: { passDesignTitle: t } });
    expect((await verify(title)).body.data.verifyPassDesignTitleExists.message).toMatch(/already exists/);
    expect((await verify('Brand New')).body.data.verifyPassDesignTitleExists.message).toMatch(/is available/);

    const serial = await gql(h.baseUrl, token, `query($i: GetBySerialPrefixRequest) { getSerialNumberByPrefix(input: $i) {
      prefix prefixLength cardNumberLength latestCardNumber maximumCardNumber initialCardNumber reservedRanges { start } } }`, { i: { serialPrefix: prefix } });
    expect(serial.body.data.getSerialNumberByPrefix).toEqual({
      prefix, prefixLength: prefix.length, cardNumberLength: 8, latestCardNumber: 1, maximumCardNumber: 99999999, initialCardNumber: '00000001', reservedRanges: [],
    });
  });

  it('refuses a duplicate prefix or title with a clear conflict', async () => {
    const { org, prefix, title } = await createTestOrg(h.deps);
    const other = await createOrganisation(h.deps.db, { id: `${org.id}-b`, name: 'B' });
    const base = { dynamicFieldKeys: ['k'], actor: 't', presentation: defaultPresentation('B', 'x', ['k'], 'http://x') };
    await expect(createPassDesign(h.deps.db, { ...base, organisationId: other.id, title: 'Fine', prefix })).rejects.toThrow(
      `prefix: serial prefix "${prefix}" is already in use`,
    );
    await expect(createPassDesign(h.deps.db, { ...base, organisationId: org.id, title, prefix: '99' + prefix })).rejects.toThrow(/already exists/);
  });
});
