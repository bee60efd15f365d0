import crypto from 'node:crypto';
import { generateRecords } from '../../src/services/dci/generate';
import { upsertRecords } from '../../src/services/dci/records';
import { createSender, envelope, expr, post, TestSender } from '../helpers/dciClient';
import { expectValidCallback } from '../helpers/dciSpec';
import { Harness, startHarness } from '../helpers/harness';

/**
 * Many subscriptions, one firing: 30 subscriptions (3 locations x 10 poverty-score bands) over
 * 1,500 records; 300 records change in one transaction. Each subscription with matching changes
 * gets exactly one notify, holding exactly its matching records; the others get none, and the
 * next firing sends nothing again. (`npm run bench dci-subscriptions` runs this at 1,000
 * subscriptions, 100,000 records and 10,000 events.)
 */
describe('DCI subscriptions: one batched notify per subscription per firing', () => {
  let h: Harness;
  let sender: TestSender;
  const tag = crypto.randomBytes(4).toString('hex');
  const locations = [0, 1, 2].map((i) => `${tag}-L${i}`);

  beforeAll(async () => {
    h = await startHarness();
    sender = await createSender(h.deps);
  });
  afterAll(async () => h.close());

  it('sends each subscription exactly its matching events of the firing, in one notify', async () => {
    const records: any[] = generateRecords('dr', 1500, crypto.randomInt(0, 999_999)).map((r, i) => ({ ...r, location: locations[i % 3] }));
    await upsertRecords(h.deps.db, 'dr', records);
    const bands = locations.flatMap((location) => Array.from({ length: 10 }, (_, k) => ({ location, lo: k * 10, hi: k === 9 ? 1000 : (k + 1) * 10 })));
    const message = {
      transaction_id: `txn-${tag}`,
      subscribe_request: bands.map((b, i) => ({
        reference_id: `band-${i}`,
        timestamp: new Date().toISOString(),
        subscribe_criteria: {
          reg_type: 'ns:org:RegistryType:DR', reg_event_type: 'REGISTER', notify_record_type: 'spdci-extensions-dci:DisabledPerson',
          frequency: { start_time: new Date().toISOString(), end_time: new Date(Date.now() + 3_600_000).toISOString(), frequency: '*/5 * * * * ?' },
          filter_type: 'expression',
          filter: expr({ location: { $eq: b.location }, poverty_score: { $gte: b.lo, $lt: b.hi } }),
        },
      })),
    };
    const body = await envelope(h.deps, sender, { action: 'subscribe', registry: 'dr', message, senderUri: `${h.receiverUrl}/sp` });
    expect((await post(h.baseUrl, 'dr', 'subscribe', body)).body.message.ack_status).toBe('ACK');
    const onSubscribe = () => h.receiver.requests.map((r) => JSON.parse(r.body)).find((b) => b.header.action === 'on-subscribe' && b.message.transaction_id === message.transaction_id);
    await h.receiver.waitFor(() => !!onSubscribe());
    const codeOf = new Map<string, (typeof bands)[number]>(onSubscribe().message.subscribe_response.map((s: any) => [s.subscriptions[0].code, bands[Number(s.reference_id.slice(5))]]));
    expect(codeOf.size).toBe(30);
    // Let the subscription workflows start before the events.
    await new Promise((r) => setTimeout(r, 3000));

    const changed = records.filter((_, i) => i % 5 === 0).map((r) => ({ ...r, disability_level: 'Moderate' }));
    await upsertRecords(h.deps.db, 'dr', changed); // 300 UPDATE life events in one transaction
    const expected = new Map<string, string[]>();
    for (const [code, b] of codeOf) {
      const ids = changed.filter((r) => r.location === b.location && r.poverty_score >= b.lo && r.poverty_score < b.hi).map((r) => r.personal_details.identifier).sort();
      if (ids.length) expected.set(code, ids);
    }
    const notifies = () =>
      h.receiver.requests.map((r) => JSON.parse(r.body)).filter((b) => b.header.action === 'notify' && codeOf.has(b.header.meta.subscription_code));
    await h.receiver.waitFor(() => new Set(notifies().map((n) => n.header.meta.subscription_code)).size >= expected.size, 300_000);
    await new Promise((r) => setTimeout(r, 6000)); // one more firing: nothing new to send
    const got = notifies();
    for (const n of got) expectValidCallback('dr', n);
    const byCode = new Map<string, any[]>();
    for (const n of got) byCode.set(n.header.meta.subscription_code, [...(byCode.get(n.header.meta.subscription_code) ?? []), n]);
    expect([...byCode.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [code, ids] of expected) {
      expect(byCode.get(code)).toHaveLength(1);
      expect(byCode.get(code)![0].message.notify_event.map((e: any) => e.data.reg_records.personal_details.identifier).sort()).toEqual(ids);
    }
  }, 420_000);
});
