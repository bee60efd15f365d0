import crypto from 'node:crypto';
import { generateRecords } from '../../src/services/dci/generate';
import { updateRecord, upsertRecords } from '../../src/services/dci/records';
import { createSender, envelope, expr, post, TestSender, verifyFromSteward } from '../helpers/dciClient';
import { eventually } from '../helpers/harness';
import { randomBetween, say, useFaultCluster } from './cluster';

/**
 * Fault 6: a DCI subscription firing every 10 s (Quartz cron) keeps notifying across a Temporal
 * server SIGKILL and restart: every record changed is notified exactly once, before and after.
 */
describe('fault: DCI subscription across a Temporal server restart', () => {
  const c = useFaultCluster();
  let sender: TestSender;
  beforeAll(async () => {
    sender = await createSender(c.deps);
  });

  it('keeps notifying on its cron, each changed record exactly once', async () => {
    await c.startWorker();
    const callbackUrl = `${c.receiverUrl}/spmis/callback`;
    const place = `fault-${crypto.randomBytes(4).toString('hex')}`;
    const records = generateRecords('fr', 6, crypto.randomInt(0, 999_999)).map((r) => {
      const farm = (r.farm_details as Record<string, any>[])[0];
      return { ...r, farm_details: [{ ...farm, place: { ...farm.place, name: place }, farm_type: 'Family commercial farms' }] };
    });
    await upsertRecords(c.deps.db, 'fr', records);
    const rows = await c.deps.db('registry_records').where({ registry: 'fr' }).whereRaw('record @> ?::jsonb', [JSON.stringify({ farm_details: [{ place: { name: place } }] })]).orderBy('identifier');
    expect(rows).toHaveLength(6);

    const criteria = {
      version: '1.0.0',
      reg_type: 'ns:org:RegistryType:FR',
      reg_event_type: 'REGISTER',
      frequency: { start_time: new Date(Date.now() - 60_000).toISOString(), end_time: new Date(Date.now() + 3600_000).toISOString(), frequency: '0/10 * * * * ?' },
      filter_type: 'expression',
      filter: expr({ $and: [{ 'farm_details.place.name': { $eq: place } }, { farm_type: { $eq: 'Cooperative farms' } }] }),
      notify_record_type: 'spdci-extensions-dci:Farmer',
    };
    const body = await envelope(c.deps, sender, {
      action: 'subscribe',
      registry: 'fr',
      senderUri: callbackUrl,
      message: { transaction_id: `sub-${crypto.randomUUID()}`, subscribe_request: [{ reference_id: 'sub-ref-1', timestamp: new Date().toISOString(), subscribe_criteria: criteria, locale: 'eng' }] },
    });
    const res = await post(c.baseUrl, 'fr', 'subscribe', body);
    expect(res.body.message).toMatchObject({ ack_status: 'ACK' });

    const bodies = (action: string) => c.receiver.requests.map((r) => JSON.parse(r.body)).filter((b) => b.header?.action === action);
    await c.receiver.waitFor(() => bodies('on-subscribe').length === 1, 60_000);
    const code: string = bodies('on-subscribe')[0].message.subscribe_response[0].subscriptions[0].code;
    const notified = () =>
      bodies('notify')
        .filter((b) => b.header.meta?.subscription_code === code)
        .map((b) => b.message.notify_event.map((e: any) => e.data.reg_records.famer_personal_details.member_identifier.identifier_value as string));
    const makeMatch = async (slice: typeof rows) => {
      for (const row of slice) await updateRecord(c.deps.db, 'fr', row.id, { farm_details: [{ ...row.record.farm_details[0], farm_type: 'Cooperative farms' }] }, 'merge');
    };

    // Before the fault: two records come to match, and a firing notifies them.
    await makeMatch(rows.slice(0, 2));
    await eventually(async () => (notified().flat().length >= 2 ? true : undefined), 40_000, 250);
    const beforeFault = notified().length;

    // The fault, at a random moment of the 10 s cycle: Temporal dies and comes back 3 s later.
    await new Promise((r) => setTimeout(r, randomBetween(0, 10_000)));
    await c.restartTemporal(3_000);
    say('Temporal SIGKILLed and restarted under a subscription firing every 10 s');

    // After it: two more records match, and the subscription notifies them on its cron.
    await makeMatch(rows.slice(2, 4));
    await eventually(async () => (notified().flat().length >= 4 ? true : undefined), 60_000, 250);
    // And it keeps going: a third change, a third notification.
    await makeMatch(rows.slice(4, 5));
    await eventually(async () => (notified().flat().length >= 5 ? true : undefined), 40_000, 250);
    await new Promise((r) => setTimeout(r, 11_000)); // one more firing: nothing new to send, nothing repeated

    const all = notified();
    expect(all.length).toBeGreaterThan(beforeFault);
    expect(all.flat().sort()).toEqual(rows.slice(0, 5).map((r) => r.identifier).sort()); // each exactly once, the sixth never
    for (const b of bodies('notify')) expect(await verifyFromSteward(c.baseUrl, b)).toBe(true);
    // Every callback delivered once per webhook: no notify was sent twice.
    const deliveries = await c.deps.db('callback_deliveries').where({ kind: 'dci.notify' }).select('id', 'status');
    expect(deliveries.length).toBe(bodies('notify').length);
    expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
  }, 240_000);
});
