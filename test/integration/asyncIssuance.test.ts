import { asyncIssuanceWorkflowId as workflowIdFor } from '../../src/jobs/asyncIssuance/client';
import { latestCode, outboxFor } from '../helpers/asyncIssuance';
import { type NotificationServers, settled, startNotificationServers } from '../helpers/notifications';
import { createTestOrg, eventually, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

const FIELDS = `id status isStatusFinal expiry expiresOn createdAt updatedAt failureReason
  contract { id name } identity { id name email phone } createdBy { email } updatedBy { email }
  issuance { id serialNumber passDownloadLink issuedAt }`;
const SINGLE = `query($id: ID!) { asyncIssuanceRequest(id: $id) { ${FIELDS} hasContactNotificationSet hasContactVerificationSet photoCapture
  communications { id channel status purpose sentAt } } }`;
const CREATE = `mutation($input: AsyncIssuanceRequestCreateInput!) { createAsyncIssuanceRequest(input: $input) { claimUrl asyncIssuanceRequest { ${FIELDS} } } }`;
const CANCEL = `mutation($id: ID!) { cancelAsyncIssuanceRequest(id: $id) { id status isStatusFinal updatedBy { email } } }`;
const RESEND = `mutation($id: ID!) { resendAsyncIssuanceNotification(id: $id) { id status communications(where: { purpose: INVITATION }) { id channel } } }`;
const CLAIM_VIEW = `requestId status contractName expiresOn hasContactVerificationSet photoCapture verificationCodeSentTo verificationAttemptsLeft passDownloadLink failureReason`;
const START = `mutation($t: String!) { startAsyncIssuanceClaim(claimToken: $t) { ${CLAIM_VIEW} } }`;
const COMPLETE = `mutation($t: String!, $code: String, $photo: String) { completeAsyncIssuanceClaim(claimToken: $t, code: $code, photo: $photo) { ${CLAIM_VIEW} } }`;

// 1x1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('async issuance requests (real API, worker, Temporal, PostgreSQL)', () => {
  let h: Harness;
  let t: Awaited<ReturnType<typeof createTestOrg>>;
  let token: string;
  let servers: NotificationServers;
  beforeAll(async () => {
    servers = await startNotificationServers();
    h = await startHarness();
    t = await createTestOrg(h.deps);
    token = await tokenFor(h.deps, t.org.id, ['Pass-Issuer'], 'issuer@example.test');
  });
  afterAll(async () => {
    await h.close();
    await servers.close();
  });

  const claimQuery = (query: string, variables: unknown) => gql(`${h.baseUrl}/claim`, undefined, query, variables);
  const tokenOf = (claimUrl: string) => new URL(claimUrl).searchParams.get('token')!;

  async function create(overrides: Record<string, unknown> = {}) {
    const input = {
      contract: { title: t.title },
      identity: { name: 'Ada Lovelace', email: 'ada@example.test' },
      expiry: 'SEVEN_DAYS',
      contact: { notification: { email: 'ada@example.test', phone: '+447700900123' } },
      dynamicFields: { membership_number: '42' },
      ...overrides,
    };
    const res = await gql(h.baseUrl, token, CREATE, { input });
    expect(res.body.errors).toBeUndefined();
    const { asyncIssuanceRequest: request, claimUrl } = res.body.data.createAsyncIssuanceRequest;
    return { request, claimUrl, claimToken: tokenOf(claimUrl) };
  }
  const invitations = (id: string) => h.deps.db('async_issuance_communications').where({ request_id: id, purpose: 'INVITATION' });

  it('creates a request, starts its workflow and sends the invitation', async () => {
    const before = Date.now();
    const { request, claimUrl } = await create();
    expect(request).toMatchObject({
      status: 'PENDING',
      isStatusFinal: false,
      expiry: 'SEVEN_DAYS',
      failureReason: null,
      contract: { id: t.design.id, name: t.title },
      identity: { name: 'Ada Lovelace', email: 'ada@example.test', phone: null },
      createdBy: { email: 'issuer@example.test' },
      issuance: null,
    });
    const expires = Date.parse(request.expiresOn) - Date.parse(request.createdAt);
    expect(expires).toBe(7 * 24 * 3600 * 1000);
    expect(Date.parse(request.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(claimUrl).toMatch(/\/claim\?token=/);

    // The invitation: a Communication per channel, each handed to the notification outbox.
    await eventually(async () => (await invitations(request.id)).length === 2);
    const outbox = await outboxFor(h.deps, request.id);
    expect(outbox.map((o: { channel: string; recipient: string }) => [o.channel, o.recipient]).sort()).toEqual([
      ['Email', 'ada@example.test'],
      ['SMS', '+447700900123'],
    ]);
    expect(outbox[0].body).toContain(claimUrl);
    // Delivered for real (the test's SMTP server and SMS provider): the Communications read SENT only then.
    await settled(h.deps, { reference: request.id, kind: 'invitation' });

    const single = await gql(h.baseUrl, token, SINGLE, { id: request.id });
    expect(single.body.errors).toBeUndefined();
    expect(single.body.data.asyncIssuanceRequest).toMatchObject({
      hasContactNotificationSet: true,
      hasContactVerificationSet: false,
      photoCapture: false,
      communications: expect.arrayContaining([
        expect.objectContaining({ channel: 'EMAIL', status: 'SENT', purpose: 'INVITATION', sentAt: expect.any(String) }),
        expect.objectContaining({ channel: 'SMS', status: 'SENT', purpose: 'INVITATION' }),
      ]),
    });

    // Visible in Temporal by ID and search attributes, carrying no personal data.
    const handle = h.deps.temporal!.workflow.getHandle(workflowIdFor(request.id));
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.searchAttributes).toMatchObject({ OrganisationId: [t.org.id], RequestId: [request.id] });
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toContain('ada@example.test');
    expect(history).not.toContain('Ada Lovelace');
    expect(history).not.toContain('+447700900123');
  });

  it('refuses bad input, naming the field and the rule', async () => {
    const base = { contract: { title: t.title }, identity: { email: 'x@example.test' }, expiry: 'ONE_DAY', dynamicFields: { membership_number: '1' } };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ identity: { email: 'not-an-email' } }, 'BAD_USER_INPUT', /input\.identity\.email: must be an email address/],
      [{ identity: {} }, 'BAD_USER_INPUT', /input\.identity: needs a name, an email and\/or a phone/],
      [{ contract: { title: t.title, id: t.design.id } }, 'BAD_USER_INPUT', /input\.contract: give exactly one of id or title/],
      [{ contract: { id: 'nope' } }, 'BAD_USER_INPUT', /input\.contract\.id: must be a pass design ID/],
      [{ contract: { title: 'No Such Design' } }, 'NOT_FOUND', /input\.contract\.title: no pass design titled "No Such Design"/],
      [{ contact: { notification: { phone: '07700 900123' } } }, 'BAD_USER_INPUT', /input\.contact\.notification\.phone: must be a phone number in E\.164/],
      [{ contact: { verification: {} } }, 'BAD_USER_INPUT', /input\.contact\.verification: needs an email and\/or a phone/],
      [{ dynamicFields: {} }, 'BAD_USER_INPUT', /input\.dynamicFields: .*missing required field\(s\) membership_number/],
      [{ dynamicFields: { membership_number: '1', colour: 'red' } }, 'BAD_USER_INPUT', /input\.dynamicFields: .*unknown field\(s\) colour/],
    ];
    for (const [override, code, message] of cases) {
      const res = await gql(h.baseUrl, token, CREATE, { input: { ...base, ...override } });
      expect(res.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code } });
    }
    const badEnum = await gql(h.baseUrl, token, CREATE, { input: { ...base, expiry: 'TWO_WEEKS' } });
    expect(badEnum.body.errors?.[0].message).toMatch(/TWO_WEEKS/);
    expect(await h.deps.db('async_issuance_requests').where({ organisation_id: t.org.id, identity_email: 'x@example.test' })).toEqual([]);
  });

  it('cancels a pending request; then cancel and resend fail clearly', async () => {
    const { request } = await create();
    const res = await gql(h.baseUrl, token, CANCEL, { id: request.id });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.cancelAsyncIssuanceRequest).toEqual({ id: request.id, status: 'CANCELLED', isStatusFinal: true, updatedBy: { email: 'issuer@example.test' } });
    expect(await h.deps.temporal!.workflow.getHandle(workflowIdFor(request.id)).result()).toBe('CANCELLED');

    for (const [mutation, verb] of [
      [CANCEL, 'cancel'],
      [RESEND, 'resend the notification'],
    ]) {
      const again = await gql(h.baseUrl, token, mutation, { id: request.id });
      expect(again.body.errors?.[0]).toMatchObject({
        message: `id: cannot ${verb}: async issuance request ${request.id} is CANCELLED, a final status; no further actions can be taken`,
        extensions: { code: 'CONFLICT', field: 'id' },
      });
    }
    // Only while pending: contact-derived fields answer null, and the contact data is gone.
    const single = await gql(h.baseUrl, token, SINGLE, { id: request.id });
    expect(single.body.data.asyncIssuanceRequest).toMatchObject({ hasContactNotificationSet: null, hasContactVerificationSet: null, photoCapture: null, failureReason: null });
    const row = await h.deps.db('async_issuance_requests').where({ id: request.id }).first();
    expect(row).toMatchObject({ notification_email: null, notification_phone: null });
  });

  it('resends the invitation as new communications', async () => {
    const { request } = await create({ contact: { notification: { email: 'ada@example.test' } } });
    await eventually(async () => (await invitations(request.id)).length === 1);
    const res = await gql(h.baseUrl, token, RESEND, { id: request.id });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.resendAsyncIssuanceNotification.communications).toHaveLength(2);
    expect(await outboxFor(h.deps, request.id)).toHaveLength(2);
  });

  it('refuses a resend when no notification contact is set', async () => {
    const { request } = await create({ contact: null });
    const res = await gql(h.baseUrl, token, RESEND, { id: request.id });
    expect(res.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/has no contact notification details set/), extensions: { code: 'CONFLICT' } });
  });

  it('completes a claim without verification: issues a pass through distribution and links it', async () => {
    const { request, claimToken } = await create({ dynamicFields: { membership_number: '7001' } });
    const opened = await claimQuery(START, { t: claimToken });
    expect(opened.body.errors).toBeUndefined();
    expect(opened.body.data.startAsyncIssuanceClaim).toMatchObject({
      requestId: request.id,
      status: 'PENDING',
      contractName: t.title,
      hasContactVerificationSet: false,
      photoCapture: false,
      verificationCodeSentTo: [],
      passDownloadLink: null,
    });
    const done = await claimQuery(COMPLETE, { t: claimToken });
    expect(done.body.errors).toBeUndefined();
    expect(done.body.data.completeAsyncIssuanceClaim).toMatchObject({ status: 'COMPLETED', passDownloadLink: expect.stringContaining('/pass-download?details=') });

    const single = await gql(h.baseUrl, token, SINGLE, { id: request.id });
    const r = single.body.data.asyncIssuanceRequest;
    expect(r).toMatchObject({ status: 'COMPLETED', isStatusFinal: true, hasContactNotificationSet: null, photoCapture: null });
    expect(r.issuance.serialNumber).toMatch(new RegExp(`^${t.prefix}\\d{8}$`));
    // The pass: identity name mapped into the design's name field, the given field kept.
    const pass = await h.deps.db('passes').where({ serial_number: r.issuance.serialNumber }).first();
    expect(pass).toMatchObject({ organisation_id: t.org.id, external_reference_id: request.id });
    expect(pass.dynamic_field_data).toEqual({ membership_number: '7001', membership_name: 'Ada Lovelace' });
    expect(await h.deps.db('distribution_requests').where({ id: pass.distribution_request_id }).first()).toMatchObject({ batch_count: 1, success_count: 1, status: 'Complete' });
    expect(await h.deps.temporal!.workflow.getHandle(workflowIdFor(request.id)).result()).toBe('COMPLETED');

    // Completing again answers the same; a final request takes no more actions.
    const again = await claimQuery(COMPLETE, { t: claimToken });
    expect(again.body.data.completeAsyncIssuanceClaim.status).toBe('COMPLETED');
    const cancel = await gql(h.baseUrl, token, CANCEL, { id: request.id });
    expect(cancel.body.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('verifies the contact with a one-time code, stored only as a hash', async () => {
    const { request, claimToken } = await create({ contact: { notification: { email: 'ada@example.test' }, verification: { phone: '+447700900999' } } });
    const single = await gql(h.baseUrl, token, SINGLE, { id: request.id });
    expect(single.body.data.asyncIssuanceRequest.hasContactVerificationSet).toBe(true);

    // The issuee opens the claim from the invitation, so it exists first (the workflow records it asynchronously).
    await eventually(async () => (await invitations(request.id)).length === 1);
    const noCodeYet = await claimQuery(COMPLETE, { t: claimToken, code: '123456' });
    expect(noCodeYet.body.errors?.[0].message).toMatch(/code: no code has been sent yet: call startAsyncIssuanceClaim first/);

    const opened = await claimQuery(START, { t: claimToken });
    expect(opened.body.errors).toBeUndefined();
    expect(opened.body.data.startAsyncIssuanceClaim).toMatchObject({ hasContactVerificationSet: true, verificationCodeSentTo: ['+44*******999'], verificationAttemptsLeft: 5 });
    const code = await latestCode(h.deps, request.id, servers);
    const row = await h.deps.db('async_issuance_requests').where({ id: request.id }).first();
    expect(row.otp_hash).toBeTruthy();
    expect(JSON.stringify(row)).not.toContain(code);

    const tooSoon = await claimQuery(START, { t: claimToken });
    expect(tooSoon.body.errors?.[0].message).toMatch(/a code was sent less than 30 seconds ago/);

    const missing = await claimQuery(COMPLETE, { t: claimToken });
    expect(missing.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^code: is required/), extensions: { field: 'code' } });
    const wrong = await claimQuery(COMPLETE, { t: claimToken, code: code === '000000' ? '111111' : '000000' });
    expect(wrong.body.errors?.[0]).toMatchObject({ message: 'code: is wrong; 4 attempts left', extensions: { code: 'BAD_USER_INPUT', field: 'code' } });

    const done = await claimQuery(COMPLETE, { t: claimToken, code });
    expect(done.body.errors).toBeUndefined();
    expect(done.body.data.completeAsyncIssuanceClaim.status).toBe('COMPLETED');
    const communications = await gql(h.baseUrl, token, `query($id: ID!) { asyncIssuanceRequest(id: $id) {
      codes: communications(where: { purpose: VERIFICATION_CODE }) { channel purpose }
      newestFirst: communications(orderBy: CREATED_AT, orderDirection: DESC, limit: 1) { purpose }
      skipped: communications(offset: 1) { purpose } } }`, { id: request.id });
    expect(communications.body.data.asyncIssuanceRequest).toEqual({
      codes: [{ channel: 'SMS', purpose: 'VERIFICATION_CODE' }],
      newestFirst: [{ purpose: 'VERIFICATION_CODE' }],
      skipped: [{ purpose: 'VERIFICATION_CODE' }],
    });
    // The code never reached Temporal.
    const history = JSON.stringify(await h.deps.temporal!.workflow.getHandle(workflowIdFor(request.id)).fetchHistory());
    expect(history).not.toContain(code);
  });

  it('fails the request after five wrong codes, with the reason', async () => {
    const { request, claimToken } = await create({ contact: { verification: { email: 'ada@example.test' } } });
    await claimQuery(START, { t: claimToken });
    const code = await latestCode(h.deps, request.id, servers);
    const wrongCode = code === '000000' ? '111111' : '000000';
    for (let left = 4; left >= 1; left--) {
      const res = await claimQuery(COMPLETE, { t: claimToken, code: wrongCode });
      expect(res.body.errors?.[0].message).toBe(`code: is wrong; ${left} attempt${left === 1 ? '' : 's'} left`);
    }
    const fifth = await claimQuery(COMPLETE, { t: claimToken, code: wrongCode });
    expect(fifth.body.errors?.[0].message).toBe('code: is wrong; that was the last of 5 attempts: the async issuance request has FAILED');

    const single = await gql(h.baseUrl, token, SINGLE, { id: request.id });
    expect(single.body.data.asyncIssuanceRequest).toMatchObject({
      status: 'FAILED',
      isStatusFinal: true,
      failureReason: 'contact verification failed: 5 wrong one-time codes were entered',
      hasContactVerificationSet: null,
      issuance: null,
    });
    const right = await claimQuery(COMPLETE, { t: claimToken, code });
    expect(right.body.errors?.[0]).toMatchObject({ message: 'claimToken: this async issuance request is FAILED: it can no longer be claimed', extensions: { code: 'CONFLICT' } });
    expect(await h.deps.temporal!.workflow.getHandle(workflowIdFor(request.id)).result()).toBe('FAILED');
  });

  it('finishes failing a request whose last wrong code was counted but not acted on', async () => {
    const { request, claimToken } = await create({ contact: { verification: { email: 'ada@example.test' } } });
    await h.deps.db('async_issuance_requests').where({ id: request.id }).update({ otp_attempts: 5 }); // as if interrupted
    const res = await claimQuery(START, { t: claimToken });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.startAsyncIssuanceClaim).toMatchObject({ status: 'FAILED', failureReason: expect.stringMatching(/5 wrong one-time codes/) });
    expect(await outboxFor(h.deps, request.id).where({ channel: 'Email' }).whereLike('body', '%verification code%')).toEqual([]);
  });

  it('requires the photo when photoCapture is set', async () => {
    const { request, claimToken } = await create({ photoCapture: true });
    const single = await gql(h.baseUrl, token, SINGLE, { id: request.id });
    expect(single.body.data.asyncIssuanceRequest.photoCapture).toBe(true);
    const noPhoto = await claimQuery(COMPLETE, { t: claimToken });
    expect(noPhoto.body.errors?.[0].message).toMatch(/^photo: is required/);
    const notImage = await claimQuery(COMPLETE, { t: claimToken, photo: Buffer.from('hello').toString('base64') });
    expect(notImage.body.errors?.[0].message).toBe('photo: must be a JPEG or PNG image');
    const done = await claimQuery(COMPLETE, { t: claimToken, photo: `data:image/png;base64,${PNG}` });
    expect(done.body.errors).toBeUndefined();
    expect(done.body.data.completeAsyncIssuanceClaim.status).toBe('COMPLETED');
    const row = await h.deps.db('async_issuance_requests').where({ id: request.id }).first();
    expect(await h.deps.db('stored_files').where({ id: row.photo_file_id }).first()).toMatchObject({ content_type: 'image/png', kind: 'async-issuance-photo' });
  });

  describe('the claim endpoint', () => {
    it('needs no organisation token but a genuine claim token', async () => {
      const { request } = await create();
      const forged = await claimQuery(START, { t: `${request.id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` });
      expect(forged.body.errors?.[0]).toMatchObject({ message: 'claimToken: is not a valid claim token', extensions: { code: 'BAD_USER_INPUT' } });
      const garbage = await claimQuery(START, { t: 'nonsense' });
      expect(garbage.body.errors?.[0].message).toBe('claimToken: is not a valid claim token');
    });

    it('serves nothing but the claim mutations', async () => {
      const { request } = await create();
      const query = await claimQuery(`query($id: ID!) { asyncIssuanceRequest(id: $id) { id identity { email } } }`, { id: request.id });
      expect(query.body.data).toBeUndefined();
      expect(query.body.errors?.[0].message).toMatch(/serves only the mutations startAsyncIssuanceClaim and completeAsyncIssuanceClaim/);
      const mutation = await claimQuery(`mutation($id: ID!) { cancelAsyncIssuanceRequest(id: $id) { id } }`, { id: request.id });
      expect(mutation.body.errors?.[0].message).toMatch(/refused: cancelAsyncIssuanceRequest/);
      const sneaky = await claimQuery(`mutation($id: ID!, $t: String!) { ...F startAsyncIssuanceClaim(claimToken: $t) { status } } fragment F on Mutation { cancelAsyncIssuanceRequest(id: $id) { id } }`, { id: request.id, t: 'x' });
      expect(sneaky.body.errors?.[0].message).toMatch(/refused: cancelAsyncIssuanceRequest/);
      const row = await h.deps.db('async_issuance_requests').where({ id: request.id }).first();
      expect(row.status).toBe('PENDING');
      // /query itself still demands an organisation token.
      const unauthenticated = await gql(h.baseUrl, undefined, START, { t: 'x' });
      expect(unauthenticated.status).toBe(401);
    });
  });

  describe('findAsyncIssuanceRequests', () => {
    let o: Awaited<ReturnType<typeof createTestOrg>>;
    let otoken: string;
    const ids: string[] = [];
    const FIND = `query($where: AsyncIssuanceRequestWhere, $limit: PositiveInt, $offset: PositiveInt, $orderBy: AsyncIssuanceRequestOrderBy, $orderDirection: OrderDirection) {
      findAsyncIssuanceRequests(where: $where, limit: $limit, offset: $offset, orderBy: $orderBy, orderDirection: $orderDirection) { id status identity { email } contract { name } failureReason communications { purpose } } }`;
    beforeAll(async () => {
      o = await createTestOrg(h.deps, { title: 'Find Design' });
      otoken = await tokenFor(h.deps, o.org.id);
      for (const email of ['a@find.test', 'b@find.test', 'c@find.test']) {
        const res = await gql(h.baseUrl, otoken, CREATE, {
          input: { contract: { id: o.design.id }, identity: { email }, expiry: 'ONE_DAY', dynamicFields: { membership_number: '1', membership_name: 'N' } },
        });
        expect(res.body.errors).toBeUndefined();
        ids.push(res.body.data.createAsyncIssuanceRequest.asyncIssuanceRequest.id);
      }
      expect((await gql(h.baseUrl, otoken, CANCEL, { id: ids[1] })).body.errors).toBeUndefined();
    });
    const find = async (variables: Record<string, unknown>) => {
      const res = await gql(h.baseUrl, otoken, FIND, variables);
      expect(res.body.errors).toBeUndefined();
      return res.body.data.findAsyncIssuanceRequests as { id: string; status: string }[];
    };

    it('lists newest first, filters, pages and orders', async () => {
      expect((await find({})).map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect((await find({ orderDirection: 'ASC' })).map((r) => r.id)).toEqual(ids);
      expect((await find({ limit: 1, offset: 1 })).map((r) => r.id)).toEqual([ids[1]]);
      expect((await find({ where: { status: ['CANCELLED'] } })).map((r) => r.id)).toEqual([ids[1]]);
      expect((await find({ where: { status: ['PENDING', 'EXPIRED'] } })).map((r) => r.id)).toEqual([ids[2], ids[0]]);
      expect((await find({ where: { identityEmail: 'A@FIND.TEST' } })).map((r) => r.id)).toEqual([ids[0]]);
      expect(await find({ where: { contractId: o.design.id } })).toHaveLength(3);
      expect(await find({ where: { contractId: t.design.id } })).toEqual([]);
      expect(await find({ where: { createdFrom: new Date(Date.now() + 60_000).toISOString() } })).toEqual([]);
      expect(await find({ where: { createdFrom: '2020-01-01T00:00:00Z', createdTo: new Date(Date.now() + 60_000).toISOString() } })).toHaveLength(3);
      expect((await find({ orderBy: 'UPDATED_AT' }))[0].id).toBe(ids[1]);
      // Another organisation sees none of them.
      const other = await gql(h.baseUrl, token, FIND, {});
      expect(other.body.data.findAsyncIssuanceRequests.map((r: { id: string }) => r.id)).not.toContain(ids[0]);
      const foreign = await gql(h.baseUrl, token, SINGLE, { id: ids[0] });
      expect(foreign.body.data.asyncIssuanceRequest).toBeNull();
    });

    it('refuses the single-request fields, also through fragments, saying why', async () => {
      for (const query of [
        'query { findAsyncIssuanceRequests { id hasContactNotificationSet } }',
        'query { findAsyncIssuanceRequests { id ... on AsyncIssuanceRequest { photoCapture } } }',
        'query { findAsyncIssuanceRequests { ...F } } fragment F on AsyncIssuanceRequest { hasContactVerificationSet }',
      ]) {
        const res = await gql(h.baseUrl, otoken, query);
        expect(res.body.data).toBeNull();
        expect(res.body.errors?.[0]).toMatchObject({
          message: expect.stringMatching(/cannot be queried through findAsyncIssuanceRequests: .* derived from contact data.*only a single request may be asked for it at a time \(use asyncIssuanceRequest\(id\)\)/),
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
    });

    it('validates limit and offset', async () => {
      const big = await gql(h.baseUrl, otoken, FIND, { limit: 101 });
      expect(big.body.errors?.[0].message).toBe('limit: must be at most 100');
      const zero = await gql(h.baseUrl, otoken, FIND, { offset: 0 });
      expect(zero.body.errors?.[0].message).toMatch(/PositiveInt must be an integer greater than 0, got 0/);
    });
  });
});
