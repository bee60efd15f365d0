import { SignJWT } from 'jose';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

const BY_TITLE = `query($input: GetPassDesignByTitleRequest) { getOrganisationPassDesignByTitle(input: $input) { title serialPrefix } }`;

describe('authentication and organisation isolation', () => {
  let h: Harness;
  let acme: Awaited<ReturnType<typeof createTestOrg>>;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    acme = await createTestOrg(h.deps, { title: 'Acme Only' });
  });
  afterAll(() => h.close());

  const expect401 = (res: Awaited<ReturnType<typeof gql>>, message: RegExp) => {
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'UNAUTHENTICATED' } });
  };

  it('401 without a token', async () => {
    expect401(await gql(h.baseUrl, undefined, BY_TITLE, { input: { title: 'Acme Only' } }), /missing Authorization header/);
  });

  it('401 for a malformed token', async () => {
    expect401(await gql(h.baseUrl, 'not-a-jwt', BY_TITLE), /invalid token: token is malformed/);
  });

  it('401 for a token signed with another key', async () => {
    const forged = await new SignJWT({ org: acme.org.id, email: 'x@y.test', roles: ['Owner'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(h.deps.config.jwt.issuer)
      .setAudience(h.deps.config.jwt.audience)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a-different-secret-of-at-least-32-bytes!!'));
    expect401(await gql(h.baseUrl, forged, BY_TITLE), /invalid token: token signature is invalid/);
  });

  it('401 for an expired token', async () => {
    const expired = await new SignJWT({ org: acme.org.id, email: 'x@y.test', roles: ['Owner'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(h.deps.config.jwt.issuer)
      .setAudience(h.deps.config.jwt.audience)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(h.deps.jwtKeys.sign as Uint8Array);
    expect401(await gql(h.baseUrl, expired, BY_TITLE), /invalid token: token has expired/);
  });

  it('401 for a token without roles', async () => {
    const noRoles = await new SignJWT({ org: acme.org.id, email: 'x@y.test', roles: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(h.deps.config.jwt.issuer)
      .setAudience(h.deps.config.jwt.audience)
      .setExpirationTime('1h')
      .sign(h.deps.jwtKeys.sign as Uint8Array);
    expect401(await gql(h.baseUrl, noRoles, BY_TITLE), /roles: roles claim needs at least one role/);
  });

  it("another organisation's token cannot see the design, nor its passes", async () => {
    const other = await createTestOrg(h.deps, { title: 'Other Design' });
    const acmeToken = await tokenFor(h.deps, acme.org.id);
    const otherToken = await tokenFor(h.deps, other.org.id);

    const own = await gql(h.baseUrl, acmeToken, BY_TITLE, { input: { title: 'Acme Only' } });
    expect(own.body.data.getOrganisationPassDesignByTitle).toEqual({ title: 'Acme Only', serialPrefix: acme.prefix });

    const foreign = await gql(h.baseUrl, otherToken, BY_TITLE, { input: { title: 'Acme Only' } });
    expect(foreign.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    await gql(h.baseUrl, acmeToken, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } } }`, {
      i: { title: 'Acme Only', passDetails: [{ externalReferenceID: 'shared-ref', dynamicFields: { membership_number: '1', membership_name: 'A' } }] },
    });
    const PASSES = `query($i: GetPassesByExternalRefIDRequest) { getPassesByExternalRefID(input: $i) { serial { serialNumber } } }`;
    expect((await gql(h.baseUrl, acmeToken, PASSES, { i: { externalReferenceID: 'shared-ref' } })).body.data.getPassesByExternalRefID).toHaveLength(1);
    expect((await gql(h.baseUrl, otherToken, PASSES, { i: { externalReferenceID: 'shared-ref' } })).body.data.getPassesByExternalRefID).toEqual([]);

    const SERIAL = `query($i: GetBySerialPrefixRequest) { getSerialNumberByPrefix(input: $i) { prefix latestCardNumber } }`;
    expect((await gql(h.baseUrl, otherToken, SERIAL, { i: { serialPrefix: acme.prefix } })).body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
