import crypto from 'node:crypto';
import { distributeIndividual } from '../../src/services/distribution';
import { createOAuthClient } from '../../src/services/consumers/oauthClients';
import { createAccount, createCard, createDigitalCard, createIssuer, registerConsumer } from '../../src/services/consumers/registry';
import { PassLinks } from '../../src/services/passLinks';
import { ensureSchedules } from '../../src/temporal/schedules';
import { createTestOrg, eventually, Harness, startHarness } from '../helpers/harness';

describe('consumer deletion (seed 001) on real servers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.deps.config.forgetGracePeriodMs = 1000;
  });
  afterAll(() => h.close());

  const newIssuerId = () => `I${crypto.randomBytes(5).toString('hex').slice(0, 9)}`;

  async function issuer() {
    const t = await createTestOrg(h.deps);
    const id = newIssuerId();
    await createIssuer(h.deps.db, { id, name: 'Bank', organisationId: t.org.id });
    const client = await createOAuthClient(h.deps.db, id);
    const res = await fetch(`${h.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    return { ...t, issuerId: id, client, token: body.access_token };
  }

  const api = (path: string, token: string | undefined, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${h.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  it('issues tokens for client credentials (form body or HTTP Basic) and refuses bad ones in RFC 6749 shape', async () => {
    const t = await createTestOrg(h.deps);
    const id = newIssuerId();
    await createIssuer(h.deps.db, { id, name: 'Bank', organisationId: t.org.id });
    const c = await createOAuthClient(h.deps.db, id);
    const basic = await fetch(`${h.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(basic.status).toBe(200);
    const wrong = await fetch(`${h.baseUrl}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: 'nope' }) });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const grant = await fetch(`${h.baseUrl}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret }) });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    expect((await h.deps.db('oauth_clients').where({ client_id: c.clientId }).first()).secret_hash).not.toContain(c.clientSecret);
    // An issuer token is not an organisation user's token, and vice versa.
    const token = ((await basic.json()) as { access_token: string }).access_token;
    expect((await fetch(`${h.baseUrl}/query`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status).toBe(401);
    expect((await api(`/issuers/${id}/consumers/c1/operations`, undefined)).status).toBe(401);
  });

  it('deletes a consumer with 2 accounts, 3 cards and 2 digital cards: SUCCESS, all gone, the passes forgotten', async () => {
    const t = await issuer();
    const consumerId = 'user_42-A';
    await registerConsumer(h.deps.db, { issuerId: t.issuerId, consumerId, name: 'Jane Doe', email: 'jane@example.test' });
    const a1 = await createAccount(h.deps.db, { issuerId: t.issuerId, consumerId, accountRef: `acc-${crypto.randomUUID()}` });
    const a2 = await createAccount(h.deps.db, { issuerId: t.issuerId, consumerId, accountRef: `acc-${crypto.randomUUID()}` });
    const c1 = await createCard(h.deps.db, { accountId: a1.id, cardRef: 'c1', cardholderName: 'JANE DOE', panLast4: '4242' });
    const c2 = await createCard(h.deps.db, { accountId: a1.id, cardRef: 'c2', cardholderName: 'JANE DOE' });
    await createCard(h.deps.db, { accountId: a2.id, cardRef: 'c3' });
    const issued = await distributeIndividual(h.deps.db, new PassLinks(h.deps.config), { org: t.org.id, email: 'ops@example.test', roles: ['Owner'] }, {
      title: t.title,
      passDetails: [1, 2].map((n) => ({ externalReferenceID: `jane-${n}`, dynamicFields: { membership_number: `${n}`, membership_name: 'Jane Doe' } })),
    });
    const serials = issued.successList.map((s) => s.serialNumber);
    await createDigitalCard(h.deps.db, { cardId: c1.id, serialNumber: serials[0] });
    await createDigitalCard(h.deps.db, { cardId: c2.id, serialNumber: serials[1] });

    const res = await api(`/issuers/${t.issuerId}/consumers/${consumerId}/operations:delete`, t.token, {
      method: 'POST',
      body: { reason: 'customer was contacted on June 28', reasonCode: 'USER_REQUEST' },
      headers: { 'x-correlation-id': 'corr-1.test 42' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('corr-1.test 42');
    const { operationId, status } = (await res.json()) as { operationId: string; status: string };
    expect(status).toBe('PENDING');
    expect(operationId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    // A second request while it runs answers the same operation.
    const again = await api(`/issuers/${t.issuerId}/consumers/${consumerId}/operations:delete`, t.token, { method: 'POST', body: {} });
    expect(await again.json()).toEqual({ operationId, status: 'PENDING' });

    const done = await eventually(async () => {
      const r = await api(`/issuers/${t.issuerId}/consumers/${consumerId}/operations/${operationId}`, t.token);
      const op = (await r.json()) as Record<string, unknown>;
      return op.status === 'PENDING' ? undefined : op;
    });
    expect(done).toEqual({
      operationId,
      operation: 'DELETE',
      status: 'SUCCESS',
      startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      endTime: expect.stringMatching(/Z$/),
      requestorType: 'ISSUER',
      requestorId: t.issuerId,
      reason: 'customer was contacted on June 28',
      reasonCode: 'USER_REQUEST',
      details: { accountsDeleted: 2, cardsDeleted: 3, digitalCardsDeleted: 2 },
    });
    expect(await h.deps.db('accounts').where({ issuer_id: t.issuerId })).toEqual([]);
    expect(await h.deps.db('cards').whereIn('id', [c1.id, c2.id])).toEqual([]);
    expect(await h.deps.db('consumers').where({ issuer_id: t.issuerId, consumer_id: consumerId }).first()).toMatchObject({ status: 'DELETED', name: null, email: null });
    const passes = await h.deps.db('passes').whereIn('serial_number', serials);
    for (const p of passes) {
      expect(p).toMatchObject({ is_expired: true, external_reference_id: '', dynamic_field_data: {} });
      expect(p.forgotten_at).toBeInstanceOf(Date);
    }
    expect(await h.deps.db('pass_forget_requests').whereIn('serial_number', serials).pluck('requested_by')).toEqual([`consumer-deletion:${operationId}`, `consumer-deletion:${operationId}`]);

    // The consumerId can never be used again.
    await expect(registerConsumer(h.deps.db, { issuerId: t.issuerId, consumerId })).rejects.toThrow(/was deleted and cannot be registered again/);
    const gone = await api(`/issuers/${t.issuerId}/consumers/${consumerId}/operations:delete`, t.token, { method: 'POST', body: {} });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: 'NOT_FOUND', field: 'consumerId' });
    // The default reason code.
    const list = (await (await api(`/issuers/${t.issuerId}/consumers/${consumerId}/operations`, t.token)).json()) as { operations: unknown[]; remainingOperations: number };
    expect(list).toEqual({ operations: [done], remainingOperations: 0 });
  });

  it('defaults reasonCode to ISSUER_DECISION and deletes a consumer without cards', async () => {
    const t = await issuer();
    await registerConsumer(h.deps.db, { issuerId: t.issuerId, consumerId: 'solo' });
    const res = await api(`/issuers/${t.issuerId}/consumers/solo/operations:delete`, t.token, { method: 'POST' });
    const { operationId } = (await res.json()) as { operationId: string };
    const op = await eventually(async () => {
      const o = (await (await api(`/issuers/${t.issuerId}/consumers/solo/operations/${operationId}`, t.token)).json()) as Record<string, unknown>;
      return o.status === 'SUCCESS' ? o : undefined;
    });
    expect(op).toMatchObject({ reasonCode: 'ISSUER_DECISION', details: { accountsDeleted: 0, cardsDeleted: 0, digitalCardsDeleted: 0 } });
    expect(op.reason).toBeUndefined();
  });

  it.each([
    ['issuerId too short', (i: string) => `/issuers/${i.slice(0, 9)}/consumers/c1/operations`, {}, 'params.issuerId'],
    ['issuerId too long', (i: string) => `/issuers/${i}X/consumers/c1/operations`, {}, 'params.issuerId'],
    ['consumerId with a bad character', (i: string) => `/issuers/${i}/consumers/bad!id/operations`, {}, 'params.consumerId'],
    ['consumerId over 64 characters', (i: string) => `/issuers/${i}/consumers/${'c'.repeat(65)}/operations`, {}, 'params.consumerId'],
    ['operationId with a bad character', (i: string) => `/issuers/${i}/consumers/c1/operations/op.1`, {}, 'params.operationId'],
    ['operationId over 64 characters', (i: string) => `/issuers/${i}/consumers/c1/operations/${'o'.repeat(65)}`, {}, 'params.operationId'],
    ['limit 0', (i: string) => `/issuers/${i}/consumers/c1/operations?limit=0`, {}, 'query.limit'],
    ['limit 51', (i: string) => `/issuers/${i}/consumers/c1/operations?limit=51`, {}, 'query.limit'],
    ['limit not a number', (i: string) => `/issuers/${i}/consumers/c1/operations?limit=ten`, {}, 'query.limit'],
    ['negative offset', (i: string) => `/issuers/${i}/consumers/c1/operations?offset=-1`, {}, 'query.offset'],
    ['x-correlation-id with a bad character', (i: string) => `/issuers/${i}/consumers/c1/operations`, { 'x-correlation-id': 'abc$' }, 'headers.x-correlation-id'],
    ['x-correlation-id over 64 characters', (i: string) => `/issuers/${i}/consumers/c1/operations`, { 'x-correlation-id': 'a'.repeat(65) }, 'headers.x-correlation-id'],
  ])('GET with %s: 400 naming the field', async (_name, path, headers, field) => {
    const t = await sharedIssuer();
    const res = await api(path(t.issuerId), t.token, { headers: headers as Record<string, string> });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'BAD_USER_INPUT', field, message: expect.stringContaining(`${field}: `) });
  });

  it.each([
    ['reason with a bad character', { reason: 'fraud!' }, 'body.reason'],
    ['reason over 64 characters', { reason: 'a'.repeat(65) }, 'body.reason'],
    ['empty reason', { reason: '' }, 'body.reason'],
    ['unknown reasonCode', { reasonCode: 'BECAUSE' }, 'body.reasonCode'],
  ])('DELETE with %s: 400 naming the field, nothing recorded', async (_name, body, field) => {
    const t = await sharedIssuer();
    await registerConsumer(h.deps.db, { issuerId: t.issuerId, consumerId: `v-${crypto.randomBytes(3).toString('hex')}` }).then(async (c) => {
      const res = await api(`/issuers/${t.issuerId}/consumers/${c.consumer_id}/operations:delete`, t.token, { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'BAD_USER_INPUT', field });
      expect(await h.deps.db('consumer_operations').where({ consumer_id: c.consumer_id })).toEqual([]);
    });
  });

  it('answers another issuer\'s token with 403 and an unknown consumer or operation with 404', async () => {
    const a = await sharedIssuer();
    const b = await issuer();
    await registerConsumer(h.deps.db, { issuerId: a.issuerId, consumerId: 'owned-by-a' });
    for (const [method, path] of [['GET', 'operations'], ['POST', 'operations:delete']]) {
      const r = await api(`/issuers/${a.issuerId}/consumers/owned-by-a/${path}`, b.token, { method, body: method === 'POST' ? {} : undefined });
      expect(r.status).toBe(403);
    }
    expect((await api(`/issuers/${a.issuerId}/consumers/nobody/operations:delete`, a.token, { method: 'POST', body: {} })).status).toBe(404);
    expect((await api(`/issuers/${a.issuerId}/consumers/owned-by-a/operations/no-such-op`, a.token)).status).toBe(404);
    expect(await (await api(`/issuers/${a.issuerId}/consumers/nobody/operations`, a.token)).json()).toEqual({ operations: [], remainingOperations: 0 });
  });

  it('pages operations newest first with remainingOperations', async () => {
    const t = await sharedIssuer();
    const consumerId = `p-${crypto.randomBytes(3).toString('hex')}`;
    const base = Date.now() - 10 * 86_400_000;
    await h.deps.db('consumer_operations').insert(
      Array.from({ length: 12 }, (_, i) => ({
        operation_id: `op-${consumerId}-${String(i).padStart(2, '0')}`,
        issuer_id: t.issuerId,
        consumer_id: consumerId,
        operation: 'DELETE',
        status: 'FAILED',
        start_time: new Date(base + i * 60_000),
        end_time: new Date(base + i * 60_000 + 1000),
        requestor_type: 'ISSUER',
        requestor_id: t.issuerId,
        reason_code: 'ISSUER_DECISION',
        error_code: 'TEST',
        error: 'for paging',
      })),
    );
    const page = async (q: string) => (await (await api(`/issuers/${t.issuerId}/consumers/${consumerId}/operations${q}`, t.token)).json()) as { operations: { operationId: string }[]; remainingOperations: number };
    const first = await page('');
    expect(first.operations.map((o) => o.operationId.slice(-2))).toEqual(['11', '10', '09', '08', '07', '06', '05', '04', '03', '02']);
    expect(first.remainingOperations).toBe(2);
    const second = await page('?offset=10');
    expect(second.operations.map((o) => o.operationId.slice(-2))).toEqual(['01', '00']);
    expect(second.remainingOperations).toBe(0);
    const middle = await page('?offset=3&limit=5');
    expect(middle.operations.map((o) => o.operationId.slice(-2))).toEqual(['08', '07', '06', '05', '04']);
    expect(middle.remainingOperations).toBe(4);
    expect((await page('?limit=50')).operations).toHaveLength(12);
    expect(await page('?offset=40')).toEqual({ operations: [], remainingOperations: 0 });
  });

  it('has a cleanup Schedule after start-up that removes operations older than 3 months', async () => {
    const t = await sharedIssuer();
    const prefix = `test-${crypto.randomBytes(4).toString('hex')}`;
    const ids = await ensureSchedules(h.deps.temporal!, { taskQueue: h.taskQueue, idPrefix: prefix });
    await ensureSchedules(h.deps.temporal!, { taskQueue: h.taskQueue, idPrefix: prefix }); // idempotent
    const scheduleId = `${prefix}-consumer-operations-cleanup`;
    expect(ids).toContain(scheduleId);
    const schedule = h.deps.temporal!.schedule.getHandle(scheduleId);
    try {
      const desc = await schedule.describe();
      expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: 'consumerOperationsCleanup' });
      const day = 86_400_000;
      const op = (suffix: string, ageDays: number) => ({
        operation_id: `cleanup-${prefix}-${suffix}`,
        issuer_id: t.issuerId,
        consumer_id: 'cleanup',
        operation: 'DELETE',
        status: 'SUCCESS',
        start_time: new Date(Date.now() - ageDays * day),
        requestor_type: 'ISSUER',
        requestor_id: t.issuerId,
        reason_code: 'ISSUER_DECISION',
      });
      await h.deps.db('consumer_operations').insert([op('old', 91), op('recent', 89)]);
      await schedule.trigger();
      await eventually(async () => ((await h.deps.db('consumer_operations').where({ operation_id: `cleanup-${prefix}-old` })).length === 0 ? true : undefined));
      expect(await h.deps.db('consumer_operations').where({ operation_id: `cleanup-${prefix}-recent` })).toHaveLength(1);
    } finally {
      for (const id of ids) await h.deps.temporal!.schedule.getHandle(id).delete();
    }
  });

  let shared: Awaited<ReturnType<typeof issuer>> | undefined;
  async function sharedIssuer() {
    shared ??= await issuer();
    return shared;
  }
});
