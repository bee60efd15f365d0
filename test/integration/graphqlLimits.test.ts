import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { graphqlHandler } from '../../src/api/graphql/handler';
import { GRAPHQL_LIMITS } from '../../src/api/graphql/limits';
import { requireUser } from '../../src/api/http/auth';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

/**
 * Security finding 10: GraphQL had no depth, alias or cost limits, and introspection was on in
 * production. Each limit is refused before anything runs, with a message naming it.
 */
describe('GraphQL limits and introspection (finding 10)', () => {
  let h: Harness;
  let token: string;
  let title: string;
  let orgId: string;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    const t = await createTestOrg(h.deps);
    title = t.title;
    orgId = t.org.id;
    token = await tokenFor(h.deps, t.org.id);
  });
  afterAll(() => h.close());

  // Only this organisation's requests: other suites write to the same database at the same time.
  const requests = async () =>
    Number((await h.deps.db('distribution_requests').where({ organisation_id: orgId }).count<{ c: string }[]>('* as c'))[0].c);
  const refused = async (query: string, reason: RegExp) => {
    const before = await requests();
    const res = await gql(h.baseUrl, token, query);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.map((e) => e.message).join('\n')).toMatch(reason);
    expect(await requests()).toBe(before);
    // The process stays healthy.
    expect((await fetch(`${h.baseUrl}/livez`)).status).toBe(200);
  };

  it(`refuses ${GRAPHQL_LIMITS.maxAliases + 1} aliases of one mutation (one request running it many times)`, async () => {
    // Each alias alone writes a distribution request (checked below), so a count that stays put means none ran.
    const one = (i: number) =>
      `a${i}: distributeIndividualPass(input: {title: "${title}", passDetails: [{externalReferenceID: "e${i}", dynamicFields: {membership_number: "${i}", membership_name: "M"}}]}) { successList { serialNumber } }`;
    const fields = Array.from({ length: GRAPHQL_LIMITS.maxAliases + 1 }, (_, i) => one(i));
    await refused(`mutation { ${fields.join(' ')} }`, /aliased fields exceed the limit of 15/);
    const before = await requests();
    const alone = await gql(h.baseUrl, token, `mutation { ${one(0)} }`);
    expect(alone.body.errors).toBeUndefined();
    expect(await requests()).toBe(before + 1);
  });

  it('refuses a query nested deeper than the limit', async () => {
    // The seed schema has no self-referencing type; introspection types nest as deep as one likes.
    const typeDepth = `query { __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`;
    await refused(typeDepth, /query depth 12 exceeds the limit of 10/);
  });

  it('refuses a query whose cost is above the limit (wide list selections through fragments)', async () => {
    const fragments = `fragment F on PassDesign { ${Array.from({ length: 60 }, () => 'title').join(' ')} }`;
    const q = `query { getPaginatedPassDesigns { passDesignDocs { ${Array.from({ length: 10 }, () => '...F').join(' ')} } } } ${fragments}`;
    await refused(q, /query cost \d+ exceeds the limit of 5000/);
  });

  it('refuses more top-level fields than the limit, and huge documents at the parser', async () => {
    const many = Array.from({ length: GRAPHQL_LIMITS.maxRootFields + 1 }, (_, i) => `f${i}: verifyPassDesignTitleExists(input: {passDesignTitle: "x"}) { message }`).join(' ');
    await refused(`query { ${many} }`, /top-level fields exceed the limit of 15|aliased fields exceed/);
    const huge = `query { ${Array.from({ length: 6000 }, () => '__typename').join(' ')} }`;
    await refused(huge, /Document contains more th[ae]t? 5000 tokens/);
  });

  it('refuses GraphQL batching (a JSON array of operations) with a clear 400', async () => {
    const res = await fetch(`${h.baseUrl}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(body.errors[0].message).toMatch(/batching .* is not supported: send one operation per request/);
  });

  it('a normal query still runs, and introspection answers outside production', async () => {
    const ok = await gql(h.baseUrl, token, `query { verifyPassDesignTitleExists(input: {passDesignTitle: "${title}"}) { message } }`);
    expect(ok.body.errors).toBeUndefined();
    const intro = await gql(h.baseUrl, token, '{ __schema { queryType { name } } }');
    expect(intro.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('introspection is off in production unless GRAPHQL_INTROSPECTION=true', async () => {
    // The /query handler as production builds it (the rest of a production start needs wallet certificates).
    for (const [introspection, allowed] of [[undefined, false], [true, true], [false, false]] as const) {
      const deps = { ...h.deps, config: { ...h.deps.config, env: 'production' as const, graphql: { introspection } } };
      const app = express();
      app.use('/query', requireUser(deps), express.json(), graphqlHandler(deps));
      const server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const res = await gql(url, token, '{ __schema { queryType { name } } }');
        if (allowed) expect(res.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
        else expect(res.body.errors?.[0].message).toMatch(/introspection has been disabled/);
        const typename = await gql(url, token, '{ __typename }');
        expect(typename.body.data).toEqual({ __typename: 'Query' });
      } finally {
        await new Promise((r) => server.close(r));
      }
    }
  });
});
