import type { Knex } from 'knex';
import crypto from 'node:crypto';
import { signIssuerToken } from '../../src/auth/issuerTokens';
import { codecAuthToken } from '../../src/api/http/codec';
import { createIssuer } from '../../src/services/consumers/registry';
import { createSender, envelope, expr, post as dciPost, searchMessage, TestSender } from '../helpers/dciClient';
import { createTestOrg, Harness, startHarness, tokenFor } from '../helpers/harness';

/**
 * Bad input, tried systematically (issue 14): every mutation and REST route gets its bad inputs
 * (wrong types, missing fields, over-long strings, 10 MB bodies, deep or batched GraphQL, malformed
 * multipart, broken CSVs, invalid UTF-8, unknown enum values). Each case must answer a clear error
 * in that API's format naming the field or the rule, leave the process healthy, and write no row.
 */
interface Case {
  name: string;
  send: () => Promise<Response>;
  status: number | number[];
  /** What the error text must say (the field and/or the rule). */
  says: RegExp;
}

const MB = 1024 * 1024;
const TABLES = [
  'distribution_requests', 'distribution_rows', 'invalidation_requests', 'passes', 'async_issuance_requests', 'beacons', 'locations',
  'pass_delivery_templates', 'stored_files', 'notification_outbox', 'dci_transactions', 'registry_records', 'consumer_operations', 'forget_requests', 'audit_log_reports',
];

describe('bad input, tried systematically', () => {
  let h: Harness;
  let token: string;
  let title: string;
  let issuerToken: string;
  let issuerId: string;
  let sender: TestSender;
  const adminToken = crypto.randomBytes(24).toString('hex');
  const tables: string[] = [];
  const scopes: Record<string, (q: Knex.QueryBuilder) => Knex.QueryBuilder> = {};

  beforeAll(async () => {
    process.env.ADMIN_API_TOKEN = adminToken;
    h = await startHarness({ worker: false });
    const t = await createTestOrg(h.deps);
    title = t.title;
    token = await tokenFor(h.deps, t.org.id);
    issuerId = `BAD${crypto.randomBytes(4).toString('hex').slice(0, 7).toUpperCase()}`;
    await createIssuer(h.deps.db, { id: issuerId, name: 'Bad Input Bank', organisationId: t.org.id });
    issuerToken = await signIssuerToken(h.deps.jwtKeys, { issuerId, clientId: 'cli_bad' }, { issuer: h.deps.config.jwt.issuer, audience: h.deps.config.jwt.audience });
    sender = await createSender(h.deps);
    for (const t of TABLES) if (await h.deps.db.schema.hasTable(t)) tables.push(t);
    // Other test files share the database and run at the same time: count only what this test's
    // organisation, issuer and DCI sender own (a table without an owner column is counted whole).
    const owners: Record<string, string> = { organisation_id: t.org.id, issuer_id: issuerId, sender_id: sender.id };
    for (const table of tables) {
      const columns = Object.keys(await h.deps.db(table).columnInfo());
      const owner = Object.keys(owners).find((c) => columns.includes(c));
      if (owner) scopes[table] = (q) => q.where(owner, owners[owner]);
      // Registry records have no owner and other files load them meanwhile: count only what these
      // bad bodies could have written (a non-object record, or an empty one).
      else if (table === 'registry_records') scopes[table] = (q) => q.whereRaw(`jsonb_typeof(record) <> 'object' OR record = '{}'::jsonb`);
      else if (columns.includes('request_id') && table === 'distribution_rows')
        scopes[table] = (q) => q.whereIn('request_id', h.deps.db('distribution_requests').select('id').where({ organisation_id: t.org.id }));
    }
  });
  afterAll(async () => {
    delete process.env.ADMIN_API_TOKEN;
    await h.close();
  });

  const counts = async () =>
    Object.fromEntries(
      await Promise.all(tables.map(async (t) => [t, Number((await (scopes[t] ?? ((q) => q))(h.deps.db(t)).count('* as c'))[0].c)] as const)),
    );

  // ---- GraphQL (/query): the error shape is {errors: [{message, extensions}]} ----
  const gql = (query: string, variables?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.baseUrl}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
  const raw = (path: string, body: string | Buffer | FormData, headers: Record<string, string> = {}, method = 'POST') =>
    fetch(`${h.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...headers }, body });
  const DIST = `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } failureList { error } } }`;
  const BATCH = `mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }`;
  const CSV = `mutation($i: DistributionRequestCSV) { distributePassesCSV(input: $i) { message } }`;
  const INVALIDATE = `mutation($i: InvalidationRequest) { invalidateIndividualPass(input: $i) { successList } }`;
  const INVALIDATE_BATCH = `mutation($i: InvalidationRequest) { invalidateBatchPasses(input: $i) { message } }`;
  const BEACON = `mutation($i: BeaconRequest) { createNewBeacon(input: $i) { message } }`;
  const LOCATION = `mutation($i: CreateUpdateLocationRequest) { createNewLocation(input: $i) { message } }`;
  const TEMPLATE = `mutation($i: PassDeliveryTemplateRequest) { createNewPassDeliveryTemplate(input: $i) { message } }`;
  const ASYNC = `mutation($i: AsyncIssuanceRequestCreateInput!) { createAsyncIssuanceRequest(input: $i) { claimUrl } }`;
  const FORGET = `mutation($i: ForgetUserDetailsForPassRequest) { forgetUserDetailsForPass(input: $i) { message } }`;
  const AUDIT = `mutation($i: GenerateAuditLogReportRequest) { generateAuditLogReport(input: $i) { reportID } }`;
  const UPDATE_PAYLOAD = `mutation($i: UpdatePassPayloadRequest) { updatePassPayload(input: $i) { message } }`;
  const PO = `mutation($i: UploadOrgPurchaseOrderNumberRequest) { uploadOrgPurchaseOrderNumber(input: $i) { message } }`;
  const DOWNLOAD = `mutation($i: ExternalPassDownloadRequest) { externalPassDownload(input: $i) { message } }`;
  const pass = (fields: Record<string, unknown> = { membership_number: '1', membership_name: 'A' }) => ({ externalReferenceID: 'r1', dynamicFields: fields });
  const upload = (variables: unknown, map: unknown, file: Blob | string | null, fieldsFirst = true) => {
    const form = new FormData();
    const ops = JSON.stringify({ query: CSV, variables });
    const add = () => file !== null && form.append('0', typeof file === 'string' ? new Blob([file], { type: 'text/csv' }) : file, 'u.csv');
    if (!fieldsFirst) add();
    form.append('operations', ops);
    if (map !== undefined) form.append('map', typeof map === 'string' ? map : JSON.stringify(map));
    if (fieldsFirst) add();
    return raw('/query', form);
  };
  const csvUpload = (content: string | Buffer) => upload({ i: { title, file: null } }, { 0: ['variables.i.file'] }, new Blob([content], { type: 'text/csv' }));

  const graphqlCases: Case[] = [
    { name: 'distributeIndividualPass: title of the wrong type', send: () => gql(DIST, { i: { title: 123, passDetails: [pass()] } }), status: 200, says: /at "i\.title"; String cannot represent/ },
    { name: 'distributeIndividualPass: title missing', send: () => gql(DIST, { i: { passDetails: [pass()] } }), status: 200, says: /Field "title" of required type/ },
    { name: 'distributeIndividualPass: passDetails missing', send: () => gql(DIST, { i: { title } }), status: 200, says: /Field "passDetails" of required type/ },
    { name: 'distributeIndividualPass: over-long title (10,000 characters)', send: () => gql(DIST, { i: { title: 'x'.repeat(10_000), passDetails: [pass()] } }), status: 200, says: /input\.title/ },
    { name: 'distributeIndividualPass: 26 passes (at most 25)', send: () => gql(DIST, { i: { title, passDetails: Array.from({ length: 26 }, () => pass()) } }), status: 200, says: /input\.passDetails.*25/ },
    { name: 'distributeIndividualPass: unknown enum value (deviceOS-like field)', send: () => gql(DOWNLOAD, { i: { deviceOS: 'Nokia', encryptedDetails: 'x' } }), status: 200, says: /deviceOS/ },
    { name: 'distributePassBatch: passDetails not a list', send: () => gql(BATCH, { i: { title, passDetails: 'rows' } }), status: 200, says: /at "i\.passDetails"/ },
    { name: 'distributePassBatch: no rows', send: () => gql(BATCH, { i: { title, passDetails: [] } }), status: 200, says: /passDetails/ },
    { name: 'distributePassBatch: 10 MB JSON body (one 10 MB string)', send: () => gql(BATCH, { i: { title: 'x'.repeat(10 * MB), passDetails: [pass()] } }), status: 200, says: /input\.title/ },
    { name: 'invalidateIndividualPass: serialNumbers missing', send: () => gql(INVALIDATE, { i: {} }), status: 200, says: /serialNumbers/ },
    { name: 'invalidateIndividualPass: expiryTime not a time', send: () => gql(INVALIDATE, { i: { serialNumbers: ['1'], expiryTime: 'tomorrow' } }), status: 200, says: /expiryTime|Time/ },
    { name: 'invalidateBatchPasses: expiryTime in the past', send: () => gql(INVALIDATE_BATCH, { i: { serialNumbers: ['1'], expiryTime: '2000-01-01T00:00:00Z' } }), status: 200, says: /input\.expiryTime/ },
    { name: 'createNewBeacon: major out of range', send: () => gql(BEACON, { i: { title: 'b', messageText: 'm', proximityUUID: crypto.randomUUID(), major: 70_000, minor: 1 } }), status: 200, says: /major/ },
    { name: 'createNewBeacon: proximityUUID not a UUID', send: () => gql(BEACON, { i: { title: 'b', messageText: 'm', proximityUUID: 'nope', major: 1, minor: 1 } }), status: 200, says: /proximityUUID/ },
    { name: 'createNewLocation: latitude 91', send: () => gql(LOCATION, { i: { title: 'l', messageText: 'm', latitude: 91, longitude: 0 } }), status: 200, says: /latitude/ },
    { name: 'createNewPassDeliveryTemplate: unknown template type', send: () => gql(TEMPLATE, { i: { deliveryTitle: 't', templateType: 'Pigeon', subject: 's', body: 'b' } }), status: 200, says: /Field "title" of required type/ },
    { name: 'createAsyncIssuanceRequest: unknown enum value for expiry', send: () => gql(ASYNC, { i: { contract: { title }, expiry: 'FOREVER', identity: { name: 'A', email: 'a@example.test' } } }), status: 200, says: /at "i\.expiry"; Value "FOREVER" does not exist/ },
    { name: 'createAsyncIssuanceRequest: email not an email', send: () => gql(ASYNC, { i: { contract: { title }, expiry: 'SEVEN_DAYS', identity: { name: 'A', email: 'not-an-email' } } }), status: 200, says: /identity\.email/ },
    { name: 'createAsyncIssuanceRequest: identity missing (required)', send: () => gql(ASYNC, { i: { contract: { title }, expiry: 'SEVEN_DAYS' } }), status: 200, says: /Field "identity" of required type/ },
    { name: 'forgetUserDetailsForPass: serial missing', send: () => gql(FORGET, { i: {} }), status: 200, says: /Field "serialNumber" of required type/ },
    { name: 'generateAuditLogReport: endTime before startTime', send: () => gql(AUDIT, { i: { startTime: '2026-02-01T00:00:00Z', endTime: '2026-01-01T00:00:00Z', emailAddresses: [] } }), status: 200, says: /endTime/ },
    { name: 'generateAuditLogReport: emailAddresses not emails', send: () => gql(AUDIT, { i: { startTime: '2026-01-01T00:00:00Z', endTime: '2026-01-02T00:00:00Z', emailAddresses: ['x'] } }), status: 200, says: /emailAddresses/ },
    { name: 'updatePassPayload: serialNumber missing', send: () => gql(UPDATE_PAYLOAD, { i: {} }), status: 200, says: /Field "serialNumber" of required type/ },
    { name: 'uploadOrgPurchaseOrderNumber: over-long purchase order number', send: () => gql(PO, { i: { invoiceNumber: 'INV-1', purchaseOrderNumber: 'p'.repeat(5000) } }), status: 200, says: /purchaseOrderNumber|Field "\w+" of required type/ },
    { name: 'GraphQL: deeply nested query', send: () => gql(`{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`), status: 200, says: /depth 12 exceeds the limit of 10/ },
    { name: 'GraphQL: 16 aliases of one mutation', send: () => gql(`mutation { ${Array.from({ length: 16 }, (_, n) => `a${n}: distributeIndividualPass(input: {title: "${title}", passDetails: []}) { failureList { error } }`).join(' ')} }`), status: 200, says: /aliased fields exceed/ },
    { name: 'GraphQL: batching (a JSON array)', send: () => raw('/query', JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]), { 'content-type': 'application/json' }), status: 400, says: /batching/ },
    { name: 'GraphQL: body not JSON', send: () => raw('/query', '{"query": ', { 'content-type': 'application/json' }), status: 400, says: /not valid JSON/ },
    { name: 'GraphQL: invalid UTF-8 in a string value', send: () => raw('/query', Buffer.concat([Buffer.from(`{"query":"mutation($i: DistributionRequest){distributeIndividualPass(input:$i){failureList{error}}}","variables":{"i":{"title":"`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(`","passDetails":[]}}}`)]), { 'content-type': 'application/json' }), status: 200, says: /input\.\w+/ },
    { name: 'GraphQL: 41 MB body (limit 40 MB)', send: () => raw('/query', Buffer.alloc(41 * MB, 0x20), { 'content-type': 'application/json' }), status: 413, says: /too large/ },
    { name: 'multipart: map missing', send: () => upload({ i: { title, file: null } }, undefined, 'externalReferenceID\n1\n'), status: 400, says: /"operations" and "map"/ },
    { name: 'multipart: map not JSON', send: () => upload({ i: { title, file: null } }, '{0: [', 'externalReferenceID\n1\n'), status: 400, says: /field "map" is not valid JSON/ },
    { name: 'multipart: map naming __proto__', send: () => upload({ i: { title, file: null } }, { 0: ['__proto__.x'] }, 'externalReferenceID\n1\n'), status: 400, says: /map path "__proto__.x"/ },
    { name: 'multipart: map path that does not exist', send: () => upload({ i: { title, file: null } }, { 0: ['variables.nothing.file'] }, 'externalReferenceID\n1\n'), status: 400, says: /map path "variables.nothing.file" does not exist/ },
    { name: 'multipart: map names a file never sent', send: () => upload({ i: { title, file: null } }, { 1: ['variables.i.file'] }, 'externalReferenceID\n1\n'), status: 400, says: /file field "1", which was not sent/ },
    { name: 'multipart: file before operations and map', send: () => upload({ i: { title, file: null } }, { 0: ['variables.i.file'] }, 'externalReferenceID\n1\n', false), status: 400, says: /must come before the files/ },
    { name: 'multipart: not multipart at all (boundary missing)', send: () => raw('/query', '--x\r\n', { 'content-type': 'multipart/form-data' }), status: 400, says: /malformed multipart/ },
    { name: 'CSV: wrong columns (no externalReferenceID)', send: () => csvUpload('membership_number,membership_name\n1,A\n'), status: 200, says: /input\.file: .*externalReferenceID/ },
    { name: 'CSV: a bad quote', send: () => csvUpload('externalReferenceID,membership_number,membership_name\n"r1,1,A\n'), status: 200, says: /input\.file/ },
    { name: 'CSV: a 1 MB line', send: () => csvUpload(`externalReferenceID,membership_number,membership_name\nr1,${'9'.repeat(MB)},A\n`), status: 200, says: /input\.file: .*Max Record Size/ },
    { name: 'CSV: invalid UTF-8', send: () => csvUpload(Buffer.concat([Buffer.from('externalReferenceID,membership_number,membership_name\nr1,'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(',A\n')])), status: 200, says: /input\.file: is not UTF-8 text/ },
    { name: 'CSV: empty file', send: () => csvUpload(''), status: 200, says: /input\.file/ },
    { name: 'CSV: only a BOM and a header', send: () => csvUpload('\ufeffexternalReferenceID,membership_number,membership_name\n'), status: 200, says: /input\.file/ },
  ];

  // ---- REST routes: each in its own format ----
  const json = (path: string, body: unknown, headers: Record<string, string> = {}, method = 'POST') =>
    fetch(`${h.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const form = (body: string, headers: Record<string, string> = {}) => fetch(`${h.baseUrl}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const admin = { authorization: `Bearer ${adminToken}` };
  const codec = () => ({ authorization: `Bearer ${codecAuthToken(h.deps.config)}` });
  const consumerOps = `/issuers/${'ISSUER'}/consumers/user_1/operations`;
  const restCases: Case[] = [
    { name: 'POST /oauth/token: grant_type missing', send: () => form('client_id=a&client_secret=b'), status: 400, says: /grant_type/ },
    { name: 'POST /oauth/token: unknown grant_type', send: () => form('grant_type=password'), status: 400, says: /grant_type: only client_credentials/ },
    { name: 'POST /oauth/token: grant_type of the wrong type (JSON number)', send: () => json('/oauth/token', { grant_type: 7 }), status: 400, says: /grant_type/ },
    { name: 'POST /oauth/token: 20 kB body (limit 16 kB)', send: () => form(`grant_type=client_credentials&client_id=${'a'.repeat(20_000)}`), status: 413, says: /too large/ },
    { name: 'GET /pass-download: details missing', send: () => fetch(`${h.baseUrl}/pass-download`), status: 400, says: /details/ },
    { name: 'GET /pass-download: details tampered', send: () => fetch(`${h.baseUrl}/pass-download?details=${'A'.repeat(80)}`), status: 400, says: /details/ },
    { name: 'GET /pass-download: unknown deviceOS', send: () => fetch(`${h.baseUrl}/pass-download?details=x&deviceOS=Nokia`), status: 400, says: /deviceOS/ },
    { name: 'GET /invoices/:n: not an invoice number', send: () => fetch(`${h.baseUrl}/invoices/${'%27;drop'}`, { headers: { authorization: `Bearer ${token}` } }), status: 400, says: /invoiceNumber/ },
    { name: 'POST /v1/log: logs not a list', send: () => json('/v1/log', { logs: 'x' }), status: 400, says: /logs/ },
    { name: 'POST /v1/log: body not JSON', send: () => json('/v1/log', '{"logs": ['), status: 400, says: /JSON/ },
    { name: 'POST /wallet/google/callback: body not a Google callback', send: () => json('/wallet/google/callback', { nope: 1 }), status: 403, says: /GOOGLE_WALLET_ISSUER_ID/ },
    { name: 'POST /codec/decode: payloads missing', send: () => json('/codec/decode', {}, codec()), status: 400, says: /body\.payloads/ },
    { name: 'POST /codec/decode: data not base64', send: () => json('/codec/decode', { payloads: [{ metadata: {}, data: '***' }] }, codec()), status: 400, says: /body\.payloads\.0\.data/ },
    { name: 'POST /codec/decode: 17 MB body (limit 16 MB)', send: () => json('/codec/decode', `{"payloads":[{"data":"${'A'.repeat(17 * MB)}"}]}`, codec()), status: 413, says: /too large/ },
    { name: 'POST /dci/admin/registries/dr/records: record not an object', send: () => json('/dci/admin/registries/dr/records', '[1,2]', admin), status: 400, says: /record/ },
    { name: 'POST /dci/admin/registries/dr/records: body not JSON', send: () => json('/dci/admin/registries/dr/records', '{"x":', admin), status: 400, says: /not valid JSON/ },
    { name: 'POST /dci/admin/registries/xx/records: unknown registry', send: () => json('/dci/admin/registries/xx/records', {}, admin), status: 404, says: /registry "xx"/ },
    { name: `POST ${consumerOps.replace('ISSUER', '{issuerId}')}:delete: unknown body field`, send: () => json(`${consumerOps.replace('ISSUER', issuerId)}:delete`, { reason: 'x', extra: 1 }, { authorization: `Bearer ${issuerToken}` }), status: 400, says: /body/ },
    { name: `POST ${consumerOps.replace('ISSUER', '{issuerId}')}:delete: reason of the wrong type`, send: () => json(`${consumerOps.replace('ISSUER', issuerId)}:delete`, { reason: 42 }, { authorization: `Bearer ${issuerToken}` }), status: 400, says: /body\.reason/ },
    { name: `GET ${consumerOps.replace('ISSUER', '{issuerId}')}: limit out of range`, send: () => fetch(`${h.baseUrl}${consumerOps.replace('ISSUER', issuerId)}?limit=500`, { headers: { authorization: `Bearer ${issuerToken}` } }), status: 400, says: /query\.limit/ },
    { name: 'POST /claim/query: claimToken of the wrong type', send: () => json('/claim/query', { query: 'mutation($t: String!) { startAsyncIssuanceClaim(claimToken: $t) { status } }', variables: { t: 42 } }), status: 200, says: /Variable "\$t" got invalid value 42/ },
    { name: 'POST /claim/query: 5 MB body (limit 4 MB)', send: () => json('/claim/query', { query: 'mutation { __typename }', variables: { photo: 'x'.repeat(5 * MB) } }), status: 413, says: /too large/ },
    {
      name: 'POST /dci/dr/registry/sync/search: header.message_id missing',
      send: async () => {
        const body = await envelope(h.deps, sender, { action: 'search', registry: 'dr', message: searchMessage('dr', [{ query: expr({ $and: [{ poverty_score: { $gt: 1 } }] }) }]) });
        const res = await dciPost(h.baseUrl, 'dr', 'sync/search', { ...body, header: { ...body.header, message_id: undefined } });
        return new Response(JSON.stringify(res.body), { status: res.status });
      },
      status: [400, 401],
      says: /header\.message_id|err\.(request\.bad|signature\.invalid)/,
    },
    {
      name: 'POST /dci/dr/registry/search: body not JSON',
      send: async () => {
        const res = await dciPost(h.baseUrl, 'dr', 'search', '{"header":', sender.token);
        return new Response(JSON.stringify(res.body), { status: res.status });
      },
      status: 400,
      says: /err\.request\.bad.*not valid JSON|not valid JSON/,
    },
    {
      name: 'POST /dci/dr/registry/search: 11 MB body (limit 10 MB)',
      send: async () => {
        const res = await dciPost(h.baseUrl, 'dr', 'search', `{"x":"${'a'.repeat(11 * MB)}"}`, sender.token);
        return new Response(JSON.stringify(res.body), { status: res.status });
      },
      status: 413,
      says: /larger than 10 MB/,
    },
  ];

  const all = [...graphqlCases, ...restCases];

  it.each(all.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await counts();
    const res = await c.send();
    const text = await res.text();
    const statuses = Array.isArray(c.status) ? c.status : [c.status];
    expect(statuses).toContain(res.status);
    // Every string of the JSON answer (messages, codes, fields), unescaped.
    const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : []);
    let said = text;
    try {
      said = strings(JSON.parse(text)).join('\n');
    } catch {
      // not JSON: matched as it is
    }
    expect(said.slice(0, 5000)).toMatch(c.says);
    expect(text).not.toMatch(/internal error|INTERNAL_SERVER_ERROR|internal_error/);
    expect(await counts()).toEqual(before);
    expect((await fetch(`${h.baseUrl}/livez`)).status).toBe(200);
  });

  it(`counts the cases: ${all.length}`, () => {
    expect(all.length).toBeGreaterThanOrEqual(60);
  });
});
