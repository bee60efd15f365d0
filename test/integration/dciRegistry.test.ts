import crypto from 'node:crypto';
import { generateRecords } from '../../src/services/dci/generate';
import { upsertRecords } from '../../src/services/dci/records';
import { signDciSenderToken, signIssuerToken } from '../../src/auth/issuerTokens';
import { signEnvelope } from '../../src/services/dci/signature';
import { createSender, decryptFromSteward, envelope, expr, post, searchMessage, TestSender, verifyFromSteward } from '../helpers/dciClient';
import { expectValidRequest, expectValidResponse } from '../helpers/dciSpec';
import { eventually, Harness, startHarness } from '../helpers/harness';

/** The DCI registries on a real API and PostgreSQL: records admin API, sync search, signatures, encryption. */
describe('DCI registries: records, sync search, security', () => {
  let h: Harness;
  let sender: TestSender;
  const adminToken = crypto.randomBytes(24).toString('hex');
  const tag = crypto.randomBytes(4).toString('hex');

  beforeAll(async () => {
    process.env.ADMIN_API_TOKEN = adminToken;
    h = await startHarness({ worker: false });
    sender = await createSender(h.deps);
    // 7 DR records in this test's own location; poverty scores 10, 20, ..., 70; the first 5 Approved.
    const dr = generateRecords('dr', 7, crypto.randomInt(0, 999_999)).map((r, i) => ({ ...r, location: `loc-${tag}`, poverty_score: (7 - i) * 10, disability_status: i < 5 ? 'Approved' : 'Pending' }));
    await upsertRecords(h.deps.db, 'dr', dr);
    const fr = generateRecords('fr', 4, crypto.randomInt(0, 999_999)).map((r, i) => {
      const farm = (r.farm_details as Record<string, any>[])[0];
      return { ...r, farm_details: [{ ...farm, place: { ...farm.place, name: `village-${tag}` }, farm_type: i % 2 ? 'Cooperative farms' : 'Family commercial farms' }] };
    });
    await upsertRecords(h.deps.db, 'fr', fr);
  });
  afterAll(async () => {
    delete process.env.ADMIN_API_TOKEN;
    await h.close();
  });

  const jwtOpts = () => ({ issuer: h.deps.config.jwt.issuer, audience: h.deps.config.jwt.audience });

  async function syncSearch(registry: 'dr' | 'fr', message: unknown, opts: { encrypt?: boolean } = {}) {
    const body = await envelope(h.deps, sender, { action: 'search', registry, message, encrypt: opts.encrypt });
    expectValidRequest(registry, '/registry/sync/search', body);
    const res = await post(h.baseUrl, registry, 'sync/search', body);
    expectValidResponse(registry, '/registry/sync/search', res.status, res.body);
    return res;
  }

  describe('records admin API', () => {
    const admin = (method: string, path: string, body?: unknown, token = adminToken) =>
      fetch(`${h.baseUrl}/dci/admin/registries/${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    it('needs the admin token', async () => {
      expect((await admin('POST', 'dr/records', {}, '')).status).toBe(401);
      expect((await admin('POST', 'dr/records', {}, 'wrong-token')).status).toBe(401);
    });

    it('creates, reads, merge-patches and replaces records, each change a life event', async () => {
      const [record] = generateRecords('dr', 1, crypto.randomInt(0, 999_999));
      const created = await admin('POST', 'dr/records', record);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ registry: 'dr', version: 1, identifier: (record.personal_details as { identifier: string }).identifier });
      const id = created.body.id;
      expect((await admin('GET', `dr/records/${id}`)).body.record).toEqual(record);

      const patched = await admin('PATCH', `dr/records/${id}`, { disability_status: 'Rejected', housing_type: null });
      expect(patched.status).toBe(200);
      expect(patched.body.version).toBe(2);
      expect(patched.body.record.disability_status).toBe('Rejected');
      expect(patched.body.record).not.toHaveProperty('housing_type');

      const replaced = await admin('PUT', `dr/records/${id}`, { ...record, disability_level: 'Mild' });
      expect(replaced.body).toMatchObject({ version: 3, record: { disability_level: 'Mild', housing_type: record.housing_type } });

      const events = await h.deps.db('registry_life_events').where({ record_id: id }).orderBy('seq');
      expect(events.map((e) => e.event_type)).toEqual(['REGISTER', 'UPDATE', 'UPDATE']);
    });

    it('rejects bad records naming the field, duplicates, unknown records and registries', async () => {
      const missing = await admin('POST', 'fr/records', { family_details: {} });
      expect(missing).toMatchObject({ status: 400, body: { field: 'record.famer_personal_details.member_identifier.identifier_value' } });
      const [record] = generateRecords('fr', 1, crypto.randomInt(0, 999_999));
      const wrongType = await admin('POST', 'fr/records', { ...record, family_details: { ...(record.family_details as object), poverty_score: 'high' } });
      expect(wrongType).toMatchObject({ status: 400, body: { field: 'record.family_details.poverty_score', message: expect.stringMatching(/must be a number/) } });
      expect((await admin('POST', 'fr/records', record)).status).toBe(201);
      expect((await admin('POST', 'fr/records', record)).status).toBe(409);
      expect((await admin('PATCH', `fr/records/${crypto.randomUUID()}`, {})).status).toBe(404);
      expect((await admin('POST', 'xx/records', record)).status).toBe(404);
      const notJson = await fetch(`${h.baseUrl}/dci/admin/registries/dr/records`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: '{' });
      expect(notJson.status).toBe(400);
    });
  });

  describe('sync search', () => {
    it('answers the DR seed example (expression $and, sort, pagination) with a signed, spec-valid on-search', async () => {
      const message = searchMessage('dr', [
        {
          query: expr({ $and: [{ disability_status: { $eq: 'Approved' } }, { location: { $eq: `loc-${tag}` } }] }),
          sort: [{ attribute_name: 'poverty_score', sort_order: 'asc' }],
          pagination: { page_size: 2, page_number: 2 },
        },
      ]);
      const res = await syncSearch('dr', message);
      expect(res.status).toBe(200);
      expect(await verifyFromSteward(h.baseUrl, res.body)).toBe(true);
      expect(res.body.header).toMatchObject({ action: 'on-search', status: 'succ', receiver_id: sender.id, total_count: 1, completed_count: 1 });
      expect(res.body.message).toMatchObject({ transaction_id: message.transaction_id, correlation_id: expect.any(String) });
      // DR's reg_records is one object: one entry per record, same reference and pagination.
      const entries = res.body.message.search_response;
      expect(entries).toHaveLength(2);
      expect(entries.map((e: any) => e.data.reg_records.poverty_score)).toEqual([50, 60]);
      for (const e of entries) {
        expect(e).toMatchObject({ reference_id: 'ref-1', status: 'succ', pagination: { page_size: 2, page_number: 2, total_count: 5 } });
        expect(e.data).toMatchObject({ reg_type: 'ns:org:RegistryType:DR', reg_record_type: 'spdci-extensions-dci:DisabledPerson' });
      }
    });

    it('answers FR idtype-value, predicate and $in queries, each item on its own, records as an array', async () => {
      const all = await syncSearch('fr', searchMessage('fr', [{ query: expr({ 'farm_info.location.name': `village-${tag}` }), sort: [{ attribute_name: 'famer_personal_details.member_identifier.identifier_value' }] }]));
      const records = all.body.message.search_response[0].data.reg_records;
      expect(records).toHaveLength(4);
      const someId = records[2].famer_personal_details.member_identifier.identifier_value;

      const res = await syncSearch(
        'fr',
        searchMessage('fr', [
          { reference_id: 'by-id', query_type: 'idtype-value', query: { type: 'NationalID', value: someId } },
          {
            reference_id: 'by-predicate',
            query_type: 'predicate',
            query: [
              { seq_num: 1, expression1: { attribute_name: 'farm_details.place.name', operator: 'eq', attribute_value: `village-${tag}` }, condition: 'and', expression2: { attribute_name: 'farm_type', operator: 'eq', attribute_value: 'Cooperative farms' } },
            ],
          },
          { reference_id: 'by-in', query: expr({ $and: [{ 'farm_details.place.name': { $in: [`village-${tag}`, 'nowhere'] } }, { 'family_details.poverty_score': { $gte: 0 } }] }), pagination: { page_size: 3 } },
          // Past the last page: no records, the total still counted.
          { reference_id: 'past-last', query: expr({ 'farm_details.place.name': `village-${tag}` }), pagination: { page_size: 3, page_number: 3 } },
        ]),
      );
      const [byId, byPredicate, byIn, pastLast] = res.body.message.search_response;
      expect(byId.data.reg_records.map((r: any) => r.famer_personal_details.member_identifier.identifier_value)).toEqual([someId]);
      expect(byPredicate.data.reg_records).toHaveLength(2);
      expect(byPredicate.data.reg_records.every((r: any) => r.farm_details[0].farm_type === 'Cooperative farms')).toBe(true);
      expect(byIn.data.reg_records).toHaveLength(3);
      expect(byIn.pagination).toEqual({ page_size: 3, page_number: 1, total_count: 4 });
      expect(pastLast).toMatchObject({ reference_id: 'past-last', status: 'succ', data: { reg_records: [] }, pagination: { page_size: 3, page_number: 3, total_count: 4 } });
    });

    it('pages of one search share a total until the records change; the page after a write counts them again', async () => {
      // The kept totals, with the filter columns off (when current, they answer before any count is kept).
      const columns = h.deps.filterIndexes;
      h.deps.filterIndexes = undefined;
      try {
        await pagesShareATotal();
      } finally {
        h.deps.filterIndexes = columns;
      }
    });

    async function pagesShareATotal() {
      const location = `loc-${tag}-paging`;
      await upsertRecords(h.deps.db, 'dr', generateRecords('dr', 3, crypto.randomInt(0, 999_999)).map((r) => ({ ...r, location })));
      const page = async (n: number) => {
        const res = await syncSearch('dr', searchMessage('dr', [{ query: expr({ location }), pagination: { page_size: 2, page_number: n } }]));
        const entries = res.body.message.search_response;
        return { total: entries[0].pagination.total_count as number, records: entries.filter((e: any) => e.data.reg_records).length as number };
      };
      const counted = h.deps.matchCounts!.hits + h.deps.matchCounts!.misses;
      expect(await page(1)).toEqual({ total: 3, records: 2 });
      expect(await page(2)).toEqual({ total: 3, records: 1 });
      expect(h.deps.matchCounts!.hits + h.deps.matchCounts!.misses).toBe(counted + 2);
      await upsertRecords(h.deps.db, 'dr', generateRecords('dr', 1, crypto.randomInt(0, 999_999)).map((r) => ({ ...r, location })));
      expect(await page(2)).toEqual({ total: 4, records: 2 });
    }

    it("answers searches from the registry's filter columns in memory, kept current after writes, and /metrics counts them", async () => {
      const location = `loc-${tag}-columns`;
      const answered = async () => {
        const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
        return Number(/^steward_dci_filter_columns_searches_total (\d+)/m.exec(text)?.[1]);
      };
      const total = async () => (await syncSearch('dr', searchMessage('dr', [{ query: expr({ location }) }]))).body.message.search_response[0].pagination.total_count as number;
      for (const [n, expected] of [[2, 2], [1, 3]]) {
        await upsertRecords(h.deps.db, 'dr', generateRecords('dr', n, crypto.randomInt(0, 999_999)).map((r) => ({ ...r, location })));
        const before = await answered();
        // The first search after a write may run in PostgreSQL (columns not read yet, or other files' writes moving the version); soon one is answered from the columns.
        await eventually(async () => {
          expect(await total()).toBe(expected);
          return (await answered()) > before || undefined;
        }, 30_000);
      }
      const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
      expect(text).toMatch(/^steward_dci_filter_columns_refreshes_total\{kind="patch"\} \d+/m);
      expect(Number(/^steward_dci_filter_columns_bytes (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
    });

    it('rejects bad items with the standard\'s reason codes and still answers the good ones', async () => {
      const good = { reference_id: 'good', query: expr({ location: `loc-${tag}` }) };
      const res = await syncSearch(
        'dr',
        searchMessage('dr', [
          good,
          { reference_id: 'op', query: expr({ location: { $regex: '^loc' } }) },
          { reference_id: 'attr', query: expr({ shoe_size: { $gt: 40 } }) },
          { reference_id: 'sort', query: expr({ location: 'x' }), sort: [{ attribute_name: 'disability_details.impairment_type', sort_order: 'asc' }] },
          { reference_id: 'page', query: expr({ location: 'x' }), pagination: { page_size: 0 } },
          { reference_id: 'shape', query_type: 'graphql', query: { type: 'ns:org:QueryType:graphql', value: { expression: '{ person }' } } },
          { ...good },
        ]),
      );
      const byRef = (ref: string) => res.body.message.search_response.filter((e: any) => e.reference_id === ref);
      expect(byRef('good')[0]).toMatchObject({ status: 'succ', pagination: { total_count: 7 } });
      expect(byRef('op')[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.filter.invalid', status_reason_message: expect.stringMatching(/unknown operator \$regex/) });
      expect(byRef('attr')[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.filter.invalid', status_reason_message: expect.stringMatching(/unknown attribute "shoe_size"/) });
      expect(byRef('sort')[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.sort.invalid' });
      expect(byRef('page')[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.pagination.invalid' });
      expect(byRef('shape')[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.search_criteria.invalid' });
      expect(byRef('good').at(-1)).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.reference_id.duplicate' });
      expect(res.body.header.status).toBe('succ');
    });

    it('round-trips an encrypted search: JWE to Steward\'s key in, JWE to the sender\'s key out', async () => {
      const res = await syncSearch('dr', searchMessage('dr', [{ query: expr({ location: `loc-${tag}` }), pagination: { page_size: 1 } }]), { encrypt: true });
      expect(res.status).toBe(200);
      expect(res.body.header.is_msg_encrypted).toBe(true);
      expect(res.body.message).toMatchObject({ header: { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: sender.encryptionKeyId }, ciphertext: expect.any(String) });
      expect(await verifyFromSteward(h.baseUrl, res.body)).toBe(true);
      const plain = await decryptFromSteward(sender, res.body.message);
      expect(plain.search_response[0]).toMatchObject({ status: 'succ', pagination: { total_count: 7 } });
    });
  });

  describe('security', () => {
    const message = () => searchMessage('dr', [{ query: expr({ location: `loc-${tag}` }) }]);
    async function refused(body: unknown, status: number, code: string, reason?: RegExp) {
      const res = await post(h.baseUrl, 'dr', 'search', body);
      expect(res.status).toBe(status);
      expect(res.body.message).toMatchObject({ ack_status: 'ERR', error: { code } });
      if (reason) expect(res.body.message.error.message).toMatch(reason);
      expectValidResponse('dr', '/registry/search', res.status, res.body);
      return res;
    }

    it('refuses a missing, tampered, expired or future signature, and unknown senders', async () => {
      const body = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message(), senderUri: 'http://127.0.0.1:9/cb' });
      await refused({ ...body, signature: undefined }, 401, 'err.signature.missing');
      await refused({ ...body, message: { ...body.message as object, transaction_id: 'changed' } }, 401, 'err.signature.invalid', /does not match/);
      const expired = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message(), signedAt: Date.now() - 400_000 });
      await refused(expired, 401, 'err.signature.invalid', /expired/);
      const future = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message(), signedAt: Date.now() + 300_000 });
      await refused(future, 401, 'err.signature.invalid', /future/);
      // A token outliving its sender's registration: the signature check finds no such sender.
      const strangerId = `unknown-${tag}.example.org`;
      const strangerToken = await signDciSenderToken(h.deps.jwtKeys, { senderId: strangerId, clientId: 'gone' }, jwtOpts());
      const strangerBody = await envelope(h.deps, { ...sender, id: strangerId }, { action: 'search', registry: 'dr', message: message() });
      const strangerRes = await post(h.baseUrl, 'dr', 'search', strangerBody, strangerToken);
      expect(strangerRes).toMatchObject({ status: 401, body: { message: { ack_status: 'ERR', error: { code: 'err.sender_id.invalid' } } } });
      const otherKey = { ...sender, signingKey: crypto.generateKeyPairSync('ed25519').privateKey };
      await refused(await envelope(h.deps, otherKey, { action: 'search', registry: 'dr', message: message() }), 401, 'err.signature.invalid');
    });

    it('refuses malformed messages with err.* codes naming the field', async () => {
      const ok = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message(), senderUri: 'http://127.0.0.1:9/cb' });
      await refused({ ...ok, header: { ...ok.header, action: 'subscribe' } }, 400, 'err.request.bad', /header.action/);
      await refused({ ...ok, header: { ...ok.header, version: '2.0.0' } }, 400, 'err.version.not_supported');
      await refused({ ...ok, header: { ...ok.header, receiver_id: 'someone.else' } }, 400, 'err.receiver_id.invalid');
      await refused({ ...ok, header: { ...ok.header, message_id: undefined } }, 400, 'err.request.bad', /header.message_id/);
      const noItems = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: { transaction_id: 't', search_request: [] }, senderUri: 'http://127.0.0.1:9/cb' });
      await refused(noItems, 400, 'err.request.bad', /message.search_request/);
      const noUri = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message() });
      await refused(noUri, 400, 'err.sender_uri.invalid');
      const res = await post(h.baseUrl, 'dr', 'search', '{"header":', sender.token);
      expect(res).toMatchObject({ status: 400, body: { message: { ack_status: 'ERR', error: { code: 'err.request.bad' } } } });
    });

    it('refuses an undecryptable message with err.encryption.invalid', async () => {
      const plain = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message(), encrypt: true });
      const tampered = { ...(plain.message as Record<string, unknown>), ciphertext: 'AAAA' };
      // Re-sign the tampered ciphertext, so the signature is fine and only decryption fails.
      const signature = signEnvelope(plain.header, tampered, { privateKey: sender.signingKey, kidId: `${sender.id}|${sender.keyId}|ed25519` });
      const res = await post(h.baseUrl, 'dr', 'sync/search', { signature, header: plain.header, message: tampered });
      expect(res).toMatchObject({ status: 400, body: { header: { action: 'on-search', status: 'rjct' }, errors: [{ code: 'err.encryption.invalid' }] } });
      expectValidResponse('dr', '/registry/sync/search', res.status, res.body);
    });

    it('refuses a reused message_id with different content, and DCI endpoints need no user token', async () => {
      const messageId = crypto.randomUUID();
      const first = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message(), messageId });
      expect((await post(h.baseUrl, 'dr', 'sync/search', first)).status).toBe(200);
      const again = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message(), messageId });
      const res = await post(h.baseUrl, 'dr', 'sync/search', again);
      expect(res).toMatchObject({ status: 400, body: { header: { status: 'rjct' }, errors: [{ code: 'err.request.bad', message: expect.stringMatching(/message_id/) }] } });
      expectValidResponse('dr', '/registry/sync/search', res.status, res.body);
    });

    it('publishes Steward\'s signing and encryption keys at /.well-known/jwks.json', async () => {
      const jwks = (await (await fetch(`${h.baseUrl}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
      expect(jwks.keys).toEqual([
        expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA', kid: expect.any(String), x: expect.any(String) }),
        expect.objectContaining({ kty: 'OKP', crv: 'X25519', use: 'enc', kid: expect.any(String) }),
      ]);
      expect(jwks.keys.every((k) => !('d' in k))).toBe(true);
    });

    it('has transaction status only where the standard has it (FR)', async () => {
      expect((await post(h.baseUrl, 'dr', 'txn/status', {})).status).toBe(404);
      expect((await post(h.baseUrl, 'dr', 'txn/status', {}, sender.token)).status).toBe(404);
      expect((await post(h.baseUrl, 'fr', 'txn/status', {}, sender.token)).body.message.error.code).toBe('err.request.bad');
    });

    it('needs a bearer token of the header\'s sender on every path: missing, malformed, expired, foreign or other-sender tokens get 401', async () => {
      const body = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: message() });
      const other = await createSender(h.deps);
      const expired = await signDciSenderToken(h.deps.jwtKeys, { senderId: sender.id, clientId: 'c' }, jwtOpts(), Math.floor(Date.now() / 1000) - 10);
      const issuerToken = await signIssuerToken(h.deps.jwtKeys, { issuerId: 'BANK000001', clientId: 'c' }, jwtOpts());
      const cases: [string | undefined, RegExp][] = [
        ['', /Authorization: Bearer <token> is required/],
        ['not-a-jwt', /token is malformed/],
        [expired, /token has expired/],
        [issuerToken, /not a DCI sender access token/],
        [other.token, /is not the sender of the bearer token/],
      ];
      for (const [token, reason] of cases) {
        const res = await fetch(`${h.baseUrl}/dci/dr/registry/sync/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
        const json = (await res.json()) as any;
        expect(res.status).toBe(401);
        expect(json.errors[0]).toMatchObject({ code: 'err.request.unauthorized', message: expect.stringMatching(reason) });
        expectValidResponse('dr', '/registry/sync/search', 401, json);
      }
      expect((await post(h.baseUrl, 'dr', 'sync/search', body, sender.token)).status).toBe(200);
    });
  });
});
