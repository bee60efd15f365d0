import crypto from 'node:crypto';
import { adminCli } from '../helpers/adminCli';
import { Harness, startHarness } from '../helpers/harness';
import { envelope, newParty, Operation, operations, postJson, Registry, sign, SpecValidator, SpSystem, token, verify } from '../conformance/dciSpecClient';

/**
 * Conformance: walks every path and method of the two API files (dr_api_v1.0.0.yaml,
 * fr_api_v1.0.0.yaml) against a running Steward. For each it sends a spec-valid request and four
 * invalid ones (schema-invalid, bad signature, no token, wrong receiver), and validates every
 * response and every callback against the file with ajv. The client (test/conformance) is
 * written from the spec and its README alone; Steward is driven as an operator would: its admin
 * CLI (register the client, print its credentials) and its records admin API.
 */
type Json = Record<string, any>;
type Kind = 'async' | 'sync' | 'callback';
interface Case {
  kind: Kind;
  action: string;
  message: () => Json;
  /** Async: the callback path it answers on; then what to check of it. */
  answersOn?: string;
  then?: (callback: Json) => void;
  /** Sync: checks of the reply. */
  check?: (reply: Json) => void;
}

describe('DCI conformance: every path of both API files, with a client written from the spec', () => {
  let h: Harness;
  let admin: ReturnType<typeof adminCli>;
  const spec = new SpecValidator();
  const sp = new SpSystem();
  const tag = crypto.randomBytes(4).toString('hex');
  const me = newParty(`conformance-${tag}.example.org`);
  const adminToken = crypto.randomBytes(24).toString('hex');
  const ids: Record<Registry, string> = { dr: '', fr: '' };
  let bearer = '';
  let jwks: { keys: crypto.JsonWebKey[] };
  const results: string[] = [];
  /** State carried between paths: subscription codes and earlier transactions. */
  const ctx: Record<Registry, { code?: string; searchTxn?: string }> = { dr: {}, fr: {} };
  const location = `conf-${tag}`;
  const person = (n: number) => `CONF${tag}${n}`;
  const saved = process.env.ADMIN_API_TOKEN;

  beforeAll(async () => {
    process.env.ADMIN_API_TOKEN = adminToken;
    h = await startHarness();
    await sp.start();
    admin = adminCli({ ADMIN_API_TOKEN: adminToken, PUBLIC_BASE_URL: h.baseUrl });
    const keys = await admin('dci', 'keys');
    ids.dr = /Disability Registry: (\S+)/.exec(keys.stdout)![1];
    ids.fr = /Farmer Registry: (\S+)/.exec(keys.stdout)![1];
    // Register this client with Steward (public key; Steward's calls to us use our token API).
    const add = await admin(
      'dci', 'sender', 'add', '--id', me.id, '--name', 'Conformance SP system', '--signing-key', JSON.stringify(me.publicJwk), '--signing-key-id', me.keyId,
      '--token-url', `${sp.baseUrl}/token`, '--client-id', sp.client.id, '--client-secret', sp.client.secret,
    );
    expect(add.code).toBe(0);
    const clientId = /client_id:\s+(\S+)/.exec(add.stdout)![1];
    const clientSecret = /client_secret:\s+(\S+)/.exec(add.stdout)![1];
    const t = await token(`${h.baseUrl}/oauth/token`, clientId, clientSecret);
    expect(t).toMatchObject({ status: 200, body: { token_type: 'Bearer', access_token: expect.any(String), expires_in: expect.any(Number) } });
    expect((await token(`${h.baseUrl}/oauth/token`, clientId, 'wrong')).body).toMatchObject({ error: 'invalid_client' });
    bearer = t.body.access_token;
    jwks = (await (await fetch(`${h.baseUrl}/.well-known/jwks.json`)).json()) as typeof jwks;
    // Records through the records admin API, shaped like the files' examples.
    const records = async (registry: Registry, list: Json[]) => {
      for (const record of list) {
        const res = await fetch(`${h.baseUrl}/dci/admin/registries/${registry}/records`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
          body: JSON.stringify(record),
        });
        expect(res.status).toBe(201);
      }
    };
    await records('dr', [1, 2, 3].map((n) => ({
      personal_details: { identifier: person(n), name: { first_name: 'Conf', last_name: `Person${n}` }, date_of_birth: '1990-05-15', gender: 'Male' },
      disability_status: n < 3 ? 'Approved' : 'Pending',
      disability_level: 'Severe',
      disability_details: [{ impairment_type: 'Physical and movement related functions', impairment_level: 'Severe impairment or difficulty', impairment_cause: 'Work Accident', age_on_set: 'Working age' }],
      disability_support: [{ human_assistance: { frequency: 'Permanent', type: 'mobility', support_status: 'Required' } }],
      location,
      poverty_score: 10 * n,
    })));
    await records('fr', [1, 2].map((n) => ({
      famer_personal_details: { member_identifier: { identifier_type: 'NationalID', identifier_value: person(n) } },
      farm_details: [{ place: { name: location }, farm_type: 'Small subsistence-oriented farms' }],
    })));
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.ADMIN_API_TOKEN;
    else process.env.ADMIN_API_TOKEN = saved;
    await sp.close();
    await h.close();
    console.log(`DCI conformance results:\n${results.join('\n')}`);
  });

  const regType = (r: Registry) => (r === 'dr' ? 'ns:org:RegistryType:DR' : 'ns:org:RegistryType:FR');
  const recordType = (r: Registry) => (r === 'dr' ? 'spdci-extensions-dci:DisabledPerson' : 'spdci-extensions-dci:Farmer');
  const now = () => new Date().toISOString();
  const txn = () => `txn-${crypto.randomUUID()}`;
  const byLocation = (r: Registry) => (r === 'dr' ? { location: { $eq: location } } : { 'farm_details.place.name': { $eq: location } });
  const searchMessage = (r: Registry, criteria: Json = {}) => ({
    transaction_id: txn(),
    search_request: [{
      reference_id: 'ref-1',
      timestamp: now(),
      search_criteria: { version: '1.0.0', reg_type: regType(r), reg_record_type: recordType(r), query_type: 'expression', query: { type: 'ns:org:QueryType:NoSql', value: { expression: { query: byLocation(r) } } }, pagination: { page_size: 10, page_number: 1 }, ...criteria },
      locale: 'eng',
    }],
  });
  const sampleRecord = (r: Registry) => (r === 'dr' ? { personal_details: { identifier: 'P1' }, disability_status: 'Approved' } : { famer_personal_details: { member_identifier: { identifier_type: 'NationalID', identifier_value: 'M1' } } });

  /** What each path of a file gets as a valid request, and what to check. */
  function cases(r: Registry): Record<string, Case> {
    const disabled = (key: string) => ({ transaction_id: txn(), disabled_criteria: { query_type: 'expression', query: { 'member.member_identifier': { eq: person(1) } } } });
    return {
      '/registry/search': {
        kind: 'async', action: 'search', message: () => searchMessage(r), answersOn: '/registry/on-search',
        then: (cb) => {
          expect(cb.message.search_response[0]).toMatchObject({ status: 'succ', pagination: { total_count: r === 'dr' ? 3 : 2 } });
          ctx[r].searchTxn = cb.message.transaction_id;
        },
      },
      '/registry/sync/search': {
        kind: 'sync', action: 'search', message: () => searchMessage(r),
        check: (reply) => expect(reply.message.search_response[0]).toMatchObject({ status: 'succ', pagination: { total_count: r === 'dr' ? 3 : 2 } }),
      },
      '/registry/subscribe': {
        kind: 'async', action: 'subscribe', answersOn: '/registry/on-subscribe',
        message: () => ({
          transaction_id: txn(),
          subscribe_request: [{
            reference_id: `sub-${crypto.randomUUID()}`,
            timestamp: now(),
            subscribe_criteria: {
              version: '1.0.0', reg_type: regType(r), reg_event_type: 'REGISTER',
              frequency: { start_time: now(), end_time: new Date(Date.now() + 86_400_000).toISOString(), frequency: '0 0 * * * ?' },
              filter_type: 'expression', filter: { type: 'ns:org:QueryType:NoSql', value: { expression: { query: byLocation(r) } } },
              notify_record_type: recordType(r),
            },
          }],
        }),
        then: (cb) => {
          expect(cb.message.subscribe_response[0]).toMatchObject({ status: 'succ', subscriptions: [{ status: 'subscribe' }] });
          ctx[r].code = cb.message.subscribe_response[0].subscriptions[0].code;
        },
      },
      '/registry/unsubscribe': {
        kind: 'async', action: 'unsubscribe', answersOn: '/registry/on-unsubscribe',
        message: () => ({ transaction_id: txn(), timestamp: now(), subscription_codes: [ctx[r].code] }),
        then: (cb) => expect(cb.message).toMatchObject({ status: 'succ', subscription_status: [{ code: ctx[r].code, status: 'unsubscribe' }] }),
      },
      '/registry/txn/status': {
        kind: 'async', action: 'txn-status', answersOn: '/registry/txn/on-status',
        message: () => ({ transaction_id: txn(), txnstatus_request: { reference_id: 'st-1', txn_type: 'search', attribute_type: 'transaction_id', attribute_value: ctx[r].searchTxn } }),
        then: (cb) => expect(cb.message.txnstatus_response).toMatchObject({ txn_type: 'search', txn_status: { transaction_id: ctx[r].searchTxn, search_response: [{ status: 'succ' }] } }),
      },
      '/registry/sync/txn/status': {
        kind: 'sync', action: 'txn-status',
        message: () => ({ transaction_id: txn(), txnstatus_request: { reference_id: 'st-2', txn_type: 'search', attribute_type: 'transaction_id', attribute_value: ctx[r].searchTxn } }),
        check: (reply) => expect(reply.message.txnstatus_response.txn_status).toMatchObject({ transaction_id: ctx[r].searchTxn }),
      },
      '/registry/sync/disabled': {
        kind: 'sync', action: 'search', message: () => disabled('disabled'),
        check: (reply) => expect(reply.message.disabled_response).toEqual([expect.objectContaining({ status: 'succ', disabled_status: 'yes' })]),
      },
      '/registry/sync/get-disability-support': {
        kind: 'sync', action: 'search', message: () => disabled('support'),
        check: (reply) => expect(reply.message.search_response[0].data.reg_records).toEqual([[{ human_assistance: { frequency: 'Permanent', type: 'mobility', support_status: 'Required' } }]]),
      },
      '/registry/sync/get-disability-details': {
        kind: 'sync', action: 'search', message: () => disabled('details'),
        check: (reply) => expect(reply.message.search_response[0].data.reg_records).toEqual([expect.objectContaining({ disability_status: 'Approved', disability_details: [expect.objectContaining({ impairment_cause: 'Work Accident' })] })]),
      },
      // Steward as the receiving party: this client plays the registry sending callbacks.
      '/registry/on-search': {
        kind: 'callback', action: 'on-search',
        message: () => ({ transaction_id: txn(), correlation_id: crypto.randomUUID(), search_response: [{ reference_id: 'ref-1', timestamp: now(), status: 'succ', data: { version: '1.0.0', reg_type: regType(r), reg_record_type: recordType(r), reg_records: r === 'dr' ? sampleRecord(r) : [sampleRecord(r)] }, pagination: { page_size: 10, page_number: 1, total_count: 1 } }] }),
      },
      '/registry/on-subscribe': {
        kind: 'callback', action: 'on-subscribe',
        message: () => ({ transaction_id: txn(), correlation_id: crypto.randomUUID(), subscribe_response: [{ reference_id: 'sub-1', timestamp: now(), status: 'succ', subscriptions: [{ code: crypto.randomUUID(), status: 'subscribe', timestamp: now() }] }] }),
      },
      '/registry/on-unsubscribe': {
        kind: 'callback', action: 'on-unsubscribe',
        message: () => ({ transaction_id: txn(), correlation_id: crypto.randomUUID(), timestamp: now(), status: 'succ', subscription_status: [{ code: crypto.randomUUID(), status: 'unsubscribe' }] }),
      },
      '/registry/notify': {
        kind: 'callback', action: 'notify',
        message: () => ({ transaction_id: txn(), notify_event: [{ reference_id: 'sub-1', timestamp: now(), data: { version: '1.0.0', reg_type: regType(r), reg_event_type: 'REGISTER', reg_record_type: recordType(r), reg_records: sampleRecord(r) } }] }),
      },
      '/registry/txn/on-status': {
        kind: 'callback', action: 'txn-on-status',
        message: () => ({ transaction_id: txn(), correlation_id: crypto.randomUUID(), txnstatus_response: { txn_type: 'unsubscribe', txn_status: { transaction_id: txn(), correlation_id: crypto.randomUUID(), timestamp: now(), status: 'succ' } } }),
      },
    };
  }

  /** The order paths are walked in: later ones use what earlier ones left (codes, transactions). */
  const ORDER = ['/registry/search', '/registry/sync/search', '/registry/subscribe', '/registry/unsubscribe', '/registry/txn/status', '/registry/sync/txn/status'];
  const rank = (p: string) => (ORDER.includes(p) ? ORDER.indexOf(p) : ORDER.length);

  function build(r: Registry, c: Case, o: { message?: Json; receiverId?: string } = {}) {
    return envelope(me, {
      action: c.action,
      receiverId: o.receiverId ?? ids[r],
      message: o.message ?? c.message(),
      senderUri: c.kind === 'async' ? `${sp.baseUrl}/cb/${r}/registry` : undefined,
      callback: c.kind === 'callback' ? { status: 'succ' } : undefined,
    });
  }

  function expectConforms(r: Registry, apiPath: string, status: number, body: unknown) {
    expect(spec.responseErrors(r, apiPath, status, body)).toEqual([]);
  }

  async function walk(r: Registry, o: Operation, c: Case): Promise<string> {
    const url = `${h.baseUrl}/dci/${r}${o.path}`;
    const outcomes: string[] = [];
    // 1. Schema-invalid: no transaction_id (required by every message of the file), correctly signed.
    const broken = build(r, c);
    delete (broken.message as Json).transaction_id;
    broken.signature = sign(broken.header, broken.message, me.privateKey, `${me.id}|${me.keyId}|ed25519`);
    expect(spec.requestErrors(r, o.path, broken).length).toBeGreaterThan(0);
    const invalid = await postJson(url, broken, bearer);
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors?.[0]?.code ?? invalid.body.message?.error?.code).toBe('err.request.bad');
    expectConforms(r, o.path, invalid.status, invalid.body);
    outcomes.push('schema-invalid 400 err.request.bad');
    // 2. Bad signature: the message changed after signing.
    const tampered = build(r, c);
    (tampered.message as Json).transaction_id = `${(tampered.message as Json).transaction_id}-changed`;
    const badSig = await postJson(url, tampered, bearer);
    expect(badSig).toMatchObject({ status: 401, body: { errors: [{ code: 'err.signature.invalid' }] } });
    expectConforms(r, o.path, badSig.status, badSig.body);
    outcomes.push('bad signature 401 err.signature.invalid');
    // 3. No token.
    const noToken = await postJson(url, build(r, c));
    expect(noToken).toMatchObject({ status: 401, body: { errors: [{ code: 'err.request.unauthorized' }] } });
    expectConforms(r, o.path, noToken.status, noToken.body);
    outcomes.push('no token 401 err.request.unauthorized');
    // 4. Wrong receiver.
    const elsewhere = build(r, c, { receiverId: `nobody-${tag}.example.org` });
    expect(spec.requestErrors(r, o.path, elsewhere)).toEqual([]);
    const wrongReceiver = await postJson(url, elsewhere, bearer);
    expect(wrongReceiver.status).toBe(400);
    expect(wrongReceiver.body.errors?.[0]?.code ?? wrongReceiver.body.message?.error?.code).toBe('err.receiver_id.invalid');
    expectConforms(r, o.path, wrongReceiver.status, wrongReceiver.body);
    outcomes.push('wrong receiver 400 err.receiver_id.invalid');

    // The valid request.
    const body = build(r, c);
    expect(spec.requestErrors(r, o.path, body)).toEqual([]);
    const res = await postJson(url, body, bearer);
    expect(res.status).toBe(200);
    expectConforms(r, o.path, res.status, res.body);
    if (c.kind === 'sync') {
      expect(verify(res.body, jwks)).toBe(true);
      expect(res.body.header).toMatchObject({ sender_id: ids[r], receiver_id: me.id, status: 'succ' });
      c.check?.(res.body);
      outcomes.unshift('valid 200 signed reply');
    } else {
      expect(res.body.message).toMatchObject({ ack_status: 'ACK', correlation_id: expect.any(String) });
      outcomes.unshift('valid 200 ACK');
    }
    if (c.answersOn) {
      const transactionId = (body.message as Json).transaction_id;
      const [cb] = await sp.waitFor((x) => x.path === `/cb/${r}${c.answersOn}` && x.body?.message?.transaction_id === transactionId);
      expect(spec.requestErrors(r, c.answersOn, cb.body)).toEqual([]);
      if (c.answersOn === '/registry/on-subscribe' && r === 'fr') expect(spec.onSubscribeAlsoAsDr(cb.body)).toEqual([]);
      expect(verify(cb.body, jwks)).toBe(true);
      expect(cb.body.header).toMatchObject({ sender_id: ids[r], receiver_id: me.id });
      c.then?.(cb.body);
      outcomes.push(`callback ${c.answersOn} valid, signed, with our bearer token`);
    }
    if (c.kind === 'callback') {
      const row = await h.deps.db('dci_received_callbacks').where({ registry: r, sender_id: me.id, message_id: body.header.message_id }).first();
      expect(row).toMatchObject({ action: c.action, transaction_id: (body.message as Json).transaction_id });
      outcomes.push('recorded');
    }
    return outcomes.join('; ');
  }

  for (const r of ['dr', 'fr'] as Registry[]) {
    it(`${r.toUpperCase()} file: every path and method answers as the file says`, async () => {
      const all = cases(r);
      const ops = operations(spec.docs[r], r).sort((a, b) => rank(a.path) - rank(b.path));
      expect(ops.length).toBe(11);
      for (const o of ops) {
        expect(o.method).toBe('post');
        const c = all[o.path];
        if (!c) throw new Error(`no conformance case for ${r} ${o.method} ${o.path}`);
        results.push(`${r} POST ${o.path}: ${await walk(r, o, c)}`);
      }
      // Paths the file does not have are not served.
      const foreign = r === 'dr' ? '/registry/txn/status' : '/registry/sync/disabled';
      expect((await postJson(`${h.baseUrl}/dci/${r}${foreign}`, build(r, all['/registry/sync/search']), bearer)).status).toBe(404);
      // Every callback this client's endpoints got carried a token of its own token API.
      expect(sp.callbacks.every((cb) => cb.authorization?.startsWith('Bearer '))).toBe(true);
    }, 300_000);
  }

  it('rejects bad queries with the standard\'s reason codes: unknown operator, unknown attribute, predicate gte, too-large page size', async () => {
    for (const r of ['dr', 'fr'] as Registry[]) {
      const q = (query: Json) => ({ query_type: 'expression', query: { type: 'ns:org:QueryType:NoSql', value: { expression: { query } } } });
      const items: [string, Json, string][] = [
        ['operator', q({ poverty_score: { $regex: '^4' } }), 'rjct.filter.invalid'],
        ['attribute', q({ shoe_size: { $eq: 42 } }), 'rjct.filter.invalid'],
        ['gte', { query_type: 'predicate', query: [{ seq_num: 1, expression1: { attribute_name: 'poverty_score', operator: 'gte', attribute_value: 10 } }] }, 'rjct.filter.invalid'],
        ['page', { pagination: { page_size: 1_000_000, page_number: 1 } }, 'rjct.pagination.invalid'],
      ];
      const message = searchMessage(r);
      const template = message.search_request[0];
      message.search_request = items.map(([ref, criteria]) => ({ ...template, reference_id: ref, search_criteria: { ...template.search_criteria, ...criteria } }));
      const body = envelope(me, { action: 'search', receiverId: ids[r], message });
      // `gte` is not in the file's operator enum: the request itself is not spec-valid.
      expect(spec.requestErrors(r, '/registry/sync/search', body).join()).toMatch(/operator must be equal to one of the allowed values/);
      const res = await postJson(`${h.baseUrl}/dci/${r}/registry/sync/search`, body, bearer);
      expect(res.status).toBe(200);
      expectConforms(r, '/registry/sync/search', 200, res.body);
      for (const [ref, , code] of items) {
        expect(res.body.message.search_response.find((e: Json) => e.reference_id === ref)).toMatchObject({ status: 'rjct', status_reason_code: code, status_reason_message: expect.any(String) });
      }
      expect(res.body.header.status).toBe('rjct');
    }
    // The DR's look-ups refuse the same way.
    const gte = envelope(me, { action: 'search', receiverId: ids.dr, message: { transaction_id: txn(), disabled_criteria: { query_type: 'expression', query: { 'member.member_identifier': { gte: person(1) } } } } });
    const res = await postJson(`${h.baseUrl}/dci/dr/registry/sync/disabled`, gte, bearer);
    expectConforms('dr', '/registry/sync/disabled', res.status, res.body);
    expect(res.body.message.disabled_response[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.filter.invalid', disabled_status: 'no' });
  });
});
