import crypto from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { generateRecords } from '../../src/services/dci/generate';
import { updateRecord, upsertRecords } from '../../src/services/dci/records';
import { createSender, decryptFromSteward, envelope, expr, post, searchMessage, TestSender, verifyFromSteward } from '../helpers/dciClient';
import { expectValidCallback, expectValidRequest, expectValidResponse } from '../helpers/dciSpec';
import { eventually, Harness, startHarness } from '../helpers/harness';
import { ensureSchedules } from '../../src/temporal/schedules';
import { CallbackReceiver } from '../helpers/receiver';

/**
 * Async DCI on real servers: Temporal dev server, worker, PostgreSQL, and a real HTTP subscriber
 * receiving the signed callbacks.
 */
describe('DCI registries: async search, subscriptions, unsubscribe', () => {
  let h: Harness;
  let sender: TestSender;
  let receiver: CallbackReceiver;
  let callbackUrl: string;
  const tag = crypto.randomBytes(4).toString('hex');

  beforeAll(async () => {
    h = await startHarness();
    receiver = new CallbackReceiver();
    callbackUrl = `${await receiver.start()}/spmis/callback`;
    sender = await createSender(h.deps);
  });
  afterAll(async () => {
    await receiver.close();
    await h.close();
  });

  const bodies = (pred: (b: any) => boolean) => receiver.requests.map((r) => JSON.parse(r.body)).filter(pred);
  const callbacks = (action: string, pred: (b: any) => boolean = () => true) => bodies((b) => b.header?.action === action && pred(b));
  const waitForCallbacks = async (action: string, pred: (b: any) => boolean, count = 1, timeoutMs = 60_000) => {
    await receiver.waitFor(() => callbacks(action, pred).length >= count, timeoutMs);
    return callbacks(action, pred);
  };
  const farmRecords = (n: number, place: string, farmType = 'Family commercial farms') =>
    generateRecords('fr', n, crypto.randomInt(0, 999_999)).map((r) => {
      const farm = (r.farm_details as Record<string, any>[])[0];
      return { ...r, farm_details: [{ ...farm, place: { ...farm.place, name: place }, farm_type: farmType }] };
    });

  /** Sends a signed request; it must conform to the spec unless it is meant to be wrong (`conforms: false`). */
  async function send(registry: 'dr' | 'fr', action: string, path: string, message: unknown, opts: { encrypt?: boolean; conforms?: boolean } = {}) {
    const body = await envelope(h.deps, sender, { action, registry, message, senderUri: callbackUrl, encrypt: opts.encrypt });
    if (opts.conforms !== false) expectValidRequest(registry, `/registry/${path}`, body);
    const res = await post(h.baseUrl, registry, path, body);
    expectValidResponse(registry, `/registry/${path}`, res.status, res.body);
    expect(res.body.message).toMatchObject({ ack_status: 'ACK', correlation_id: expect.any(String) });
    return { body, correlationId: res.body.message.correlation_id as string };
  }

  async function checkCallback(registry: 'dr' | 'fr', body: any) {
    expectValidCallback(registry, body);
    expect(await verifyFromSteward(h.baseUrl, body)).toBe(true);
    expect(body.header).toMatchObject({ sender_id: `${registry}.steward.local`, receiver_id: sender.id });
  }

  it('answers an async search with 2,500 matches and page_size 1,000 with 3 signed on-search callbacks', async () => {
    await upsertRecords(h.deps.db, 'fr', farmRecords(2500, `big-${tag}`));
    const message = searchMessage('fr', [
      { query: expr({ 'farm_details.place.name': { $eq: `big-${tag}` } }), pagination: { page_size: 1000 }, sort: [{ attribute_name: 'famer_personal_details.member_identifier.identifier_value', sort_order: 'asc' }] },
    ]);
    const { body, correlationId } = await send('fr', 'search', 'search', message);
    const result = await h.deps.temporal!.workflow.getHandle(`dci-search/fr/${correlationId}`).result();
    expect(result).toEqual({ callbacks: 3 });

    const pages = await waitForCallbacks('on-search', (b) => b.message.correlation_id === correlationId, 3);
    expect(pages).toHaveLength(3);
    for (const p of pages) await checkCallback('fr', p);
    expect(pages.map((p) => p.message.search_response[0].pagination)).toEqual([1, 2, 3].map((n) => ({ page_size: 1000, page_number: n, total_count: 2500 })));
    expect(pages.map((p) => p.message.search_response[0].data.reg_records.length)).toEqual([1000, 1000, 500]);
    expect(pages.map((p) => [p.header.status, p.header.completed_count])).toEqual([['pdng', 0], ['pdng', 0], ['succ', 1]]);
    const ids = pages.flatMap((p) => p.message.search_response[0].data.reg_records.map((r: any) => r.famer_personal_details.member_identifier.identifier_value));
    expect(new Set(ids).size).toBe(2500);
    expect([...ids].sort()).toEqual(ids); // the requested order, across pages

    // The same message again is the same transaction: acknowledged with the same correlation_id, no second job.
    const again = await post(h.baseUrl, 'fr', 'search', body);
    expect(again.body.message).toMatchObject({ ack_status: 'ACK', correlation_id: correlationId });

    // Its status, by transaction_id (sync txn/status, FR only).
    const status = await envelope(h.deps, sender, {
      action: 'txn-status',
      registry: 'fr',
      message: { transaction_id: `st-${tag}`, txnstatus_request: { reference_id: 'st-1', txn_type: 'search', attribute_type: 'transaction_id', attribute_value: message.transaction_id } },
    });
    expectValidRequest('fr', '/registry/sync/txn/status', status);
    const st = await post(h.baseUrl, 'fr', 'sync/txn/status', status);
    expectValidResponse('fr', '/registry/sync/txn/status', st.status, st.body);
    expect(st.body.message.txnstatus_response).toMatchObject({
      txn_type: 'search',
      txn_status: { transaction_id: message.transaction_id, correlation_id: correlationId, search_response: [{ reference_id: 'ref-1', status: 'succ', pagination: { total_count: 2500 } }] },
    });

    // Without pagination, a sync search refuses to return 2,500 records at once.
    const sync = await post(h.baseUrl, 'fr', 'sync/search', await envelope(h.deps, sender, { action: 'search', registry: 'fr', message: searchMessage('fr', [{ query: expr({ 'farm_details.place.name': `big-${tag}` }) }]) }));
    expect(sync.body.message.search_response[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.search.too_many_records_found' });
  });

  it('delivers an encrypted async search encrypted to the sender\'s key, and async txn/status as a callback', async () => {
    await upsertRecords(h.deps.db, 'dr', generateRecords('dr', 3, crypto.randomInt(0, 999_999)).map((r) => ({ ...r, location: `enc-${tag}` })));
    const { correlationId } = await send('dr', 'search', 'search', searchMessage('dr', [{ query: expr({ location: `enc-${tag}` }) }]), { encrypt: true });
    const [cb] = await waitForCallbacks('on-search', (b) => b.header.is_msg_encrypted && b.header.message_id.includes(correlationId));
    await checkCallback('dr', cb);
    const plain = await decryptFromSteward(sender, cb.message);
    expect(plain.correlation_id).toBe(correlationId);
    expect(plain.search_response).toHaveLength(3);
    expect(plain.search_response.every((e: any) => e.data.reg_records.location === `enc-${tag}`)).toBe(true);

    const { correlationId: statusCorrelation } = await send('fr', 'txn-status', 'txn/status', {
      transaction_id: `st2-${tag}`,
      txnstatus_request: { reference_id: 'st-2', txn_type: 'subscribe', attribute_type: 'correlation_id', attribute_value: crypto.randomUUID() },
    });
    const [status] = await waitForCallbacks('txn-on-status', (b) => b.message.correlation_id === statusCorrelation);
    await checkCallback('fr', status);
    expect(status.message.txnstatus_response.txn_status.subscribe_response[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.reference_id.invalid' });
  });

  it(
    'runs a subscription: on-subscribe, one notify per minute with only the matching records changed, unsubscribe ends it with on-unsubscribe',
    async () => {
      const place = `sub-${tag}`;
      await upsertRecords(h.deps.db, 'fr', farmRecords(5, place));
      const rows = await h.deps.db('registry_records').where({ registry: 'fr' }).whereRaw("record @> ?::jsonb", [JSON.stringify({ farm_details: [{ place: { name: place } }] })]).orderBy('identifier');
      expect(rows).toHaveLength(5);

      const criteria = {
        version: '1.0.0',
        reg_type: 'ns:org:RegistryType:FR',
        reg_event_type: 'REGISTER',
        frequency: { start_time: new Date(Date.now() - 60_000).toISOString(), end_time: new Date(Date.now() + 24 * 3600_000).toISOString(), frequency: '0 * * * * ?' },
        filter_type: 'expression',
        filter: expr({ $and: [{ 'farm_details.place.name': { $eq: place } }, { farm_type: { $eq: 'Cooperative farms' } }] }),
        notify_record_type: 'spdci-extensions-dci:Farmer',
      };
      const subscribe = () => send('fr', 'subscribe', 'subscribe', { transaction_id: `sub-${crypto.randomUUID()}`, subscribe_request: [{ reference_id: 'sub-ref-1', timestamp: new Date().toISOString(), subscribe_criteria: criteria, locale: 'eng' }] });
      const { correlationId } = await subscribe();
      const [onSubscribe] = await waitForCallbacks('on-subscribe', (b) => b.message.correlation_id === correlationId);
      await checkCallback('fr', onSubscribe);
      const response = onSubscribe.message.subscribe_response[0];
      expect(response).toMatchObject({ reference_id: 'sub-ref-1', status: 'succ', subscriptions: [{ status: 'subscribe', code: expect.any(String), frequency: criteria.frequency }] });
      const code: string = response.subscriptions[0].code;

      // The same subscription again, while this one is active: rjct.event.already_subscribed.
      const { correlationId: dupCorrelation } = await subscribe();
      const [dup] = await waitForCallbacks('on-subscribe', (b) => b.message.correlation_id === dupCorrelation);
      expect(dup.message.subscribe_response[0]).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.event.already_subscribed' });

      // Change records well inside one minute: 3 come to match the filter, 2 change without matching.
      const handle: WorkflowHandle = h.deps.temporal!.workflow.getHandle(`dci-subscription/fr/${code}`);
      for (;;) {
        const s = await handle.query<{ nextFiringAt: string | null }>('status').catch(() => undefined);
        if (s?.nextFiringAt && Date.parse(s.nextFiringAt) - Date.now() > 8_000) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      for (const row of rows.slice(0, 3)) await updateRecord(h.deps.db, 'fr', row.id, { farm_details: [{ ...row.record.farm_details[0], farm_type: 'Cooperative farms' }] }, 'merge');
      for (const row of rows.slice(3)) await updateRecord(h.deps.db, 'fr', row.id, { family_details: { poverty_score: 1.5 } }, 'merge');

      const notifies = await waitForCallbacks('notify', (b) => b.header.meta?.subscription_code === code, 1, 75_000);
      expect(notifies).toHaveLength(1);
      await checkCallback('fr', notifies[0]);
      const events = notifies[0].message.notify_event;
      expect(events.map((e: any) => e.data.reg_records.famer_personal_details.member_identifier.identifier_value).sort()).toEqual(rows.slice(0, 3).map((r) => r.identifier).sort());
      expect(events.every((e: any) => e.reference_id === 'sub-ref-1' && e.data.reg_event_type === 'REGISTER' && e.data.reg_record_type === 'spdci-extensions-dci:Farmer')).toBe(true);

      // Unsubscribe: on-unsubscribe, and the subscription's workflow ends.
      const unsubscribe = () => send('fr', 'unsubscribe', 'unsubscribe', { transaction_id: `unsub-${crypto.randomUUID()}`, timestamp: new Date().toISOString(), subscription_codes: [code] });
      const { correlationId: unsubCorrelation } = await unsubscribe();
      const [onUnsubscribe] = await waitForCallbacks('on-unsubscribe', (b) => b.message.correlation_id === unsubCorrelation);
      await checkCallback('fr', onUnsubscribe);
      expect(onUnsubscribe.message).toMatchObject({ status: 'succ', subscription_status: [{ code, status: 'unsubscribe' }] });
      expect(await handle.result()).toBe('unsubscribed');

      const { correlationId: againCorrelation } = await unsubscribe();
      const [again] = await waitForCallbacks('on-unsubscribe', (b) => b.message.correlation_id === againCorrelation);
      expect(again.message).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.event.already_unsubscribed' });
      const unknown = await send('fr', 'unsubscribe', 'unsubscribe', { transaction_id: `unsub-${tag}`, timestamp: new Date().toISOString(), subscription_codes: [crypto.randomUUID()] });
      const [rejected] = await waitForCallbacks('on-unsubscribe', (b) => b.message.correlation_id === unknown.correlationId);
      await checkCallback('fr', rejected);
      expect(rejected.message).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.subscription_code.invalid' });
      expect(callbacks('notify', (b) => b.header.meta?.subscription_code === code)).toHaveLength(1);
    },
    180_000,
  );

  it('rejects subscriptions with bad types, frequency or filter with the standard\'s reason codes', async () => {
    const item = (criteria: Record<string, unknown>, ref: string) => ({
      reference_id: ref,
      timestamp: new Date().toISOString(),
      subscribe_criteria: {
        reg_event_type: 'REGISTER',
        frequency: { start_time: new Date().toISOString(), end_time: new Date(Date.now() + 3600_000).toISOString(), frequency: '0 0 * * * ?' },
        filter_type: 'expression',
        filter: expr({ location: 'x' }),
        notify_record_type: 'spdci-extensions-dci:DisabledPerson',
        ...criteria,
      },
    });
    const { correlationId } = await send('dr', 'subscribe', 'subscribe', {
      transaction_id: `bad-${tag}`,
      subscribe_request: [
        item({ notify_record_type: 'spdci-extensions-dci:Farmer' }, 'type'),
        item({ reg_event_type: 'spdci-common:RegistryEventType:LiveBirth' }, 'event'),
        item({ frequency: { start_time: new Date().toISOString(), end_time: new Date(Date.now() + 3600_000).toISOString(), frequency: 'every day' } }, 'cron'),
        item({ filter: expr({ location: { $near: 'x' } }) }, 'filter'),
        item({ frequency: { start_time: new Date().toISOString(), end_time: new Date(Date.now() - 1000).toISOString(), frequency: '0 0 * * * ?' } }, 'window'),
      ],
    }, { conforms: false }); // (the DR spec itself only allows reg_event_type REGISTER)
    const [cb] = await waitForCallbacks('on-subscribe', (b) => b.message.correlation_id === correlationId);
    await checkCallback('dr', cb);
    expect(cb.header.status).toBe('rjct');
    expect(cb.message.subscribe_response.map((r: any) => [r.reference_id, r.status, r.status_reason_code])).toEqual([
      ['type', 'rjct', 'rjct.notify_types.invalid'],
      ['event', 'rjct', 'rjct.notify_types.invalid'],
      ['cron', 'rjct', 'rjct.notify_details.invalid'],
      ['filter', 'rjct', 'rjct.notify_details.invalid'],
      ['window', 'rjct', 'rjct.notify_details.invalid'],
    ]);
    expect(await h.deps.db('dci_subscriptions').where({ correlation_id: correlationId })).toHaveLength(0);
  });

  it('has a Schedule that folds the rows of registry writes into the data versions', async () => {
    const prefix = `test-${crypto.randomBytes(4).toString('hex')}`;
    const ids = await ensureSchedules(h.deps.temporal!, { taskQueue: h.taskQueue, idPrefix: prefix });
    const schedule = h.deps.temporal!.schedule.getHandle(`${prefix}-registry-writes-fold`);
    try {
      expect((await schedule.describe()).action).toMatchObject({ type: 'startWorkflow', workflowType: 'dciRegistryWritesFold' });
      // A committed write of DR records leaves its row of writes, which the triggered run folds (the
      // record is deleted again, so that no other file's DR search finds it).
      const xid = await h.deps.db.transaction(async (trx) => {
        await trx('registry_records').insert({ registry: 'dr', identifier: `FOLD_${prefix}`, record: JSON.stringify(generateRecords('dr', 1, 5)[0]) });
        await trx('registry_records').where({ registry: 'dr', identifier: `FOLD_${prefix}` }).delete();
        return (await trx.raw('SELECT pg_current_xact_id()::text AS xid')).rows[0].xid as string;
      });
      const writeRow = () => h.deps.db('registry_writes').where({ registry: 'dr', xid });
      expect(await writeRow()).toHaveLength(1);
      await schedule.trigger();
      const run = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow);
      const { folded, prunedChanges } = await h.deps.temporal!.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result();
      expect(folded.dr).toBeGreaterThanOrEqual(1);
      expect(prunedChanges).toBeGreaterThanOrEqual(0);
      expect(await writeRow()).toHaveLength(0);
    } finally {
      for (const id of ids) await h.deps.temporal!.schedule.getHandle(id).delete();
    }
  });
});
