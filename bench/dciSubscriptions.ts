import crypto from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { signDciSenderToken } from '../src/auth/issuerTokens';
import { peakRssMb } from '../src/dev/workerProcess';
import { requestWorkflowId } from '../src/jobs/dci/client';
import { generateRecords } from '../src/services/dci/generate';
import { dciKeys } from '../src/services/dci/keys';
import { upsertRecords } from '../src/services/dci/records';
import { registerSender } from '../src/services/dci/senders';
import { signEnvelope } from '../src/services/dci/signature';
import { startBenchEnv } from './env';
import { benchGroups, cpuSnapshot, describeCpu } from './cpu';

/**
 * `npm run bench dci-subscriptions`: 1,000 active DR subscriptions (5 locations x 200 poverty-score
 * bands, each matching ~100 of 100,000 records) firing every minute; 10,000 life events (record
 * updates of distinct records) spread over BENCH_DCI_EVENT_MINUTES minutes (default 5; 60 for the
 * issue's hour), each minute's share written just after a firing. Checks that every subscription
 * gets, for each firing, one notify with exactly its records updated in that minute (none when none
 * matched), and prints event-to-notify times and the worker's peak RSS.
 */
const SUBSCRIPTIONS = Number(process.env.BENCH_DCI_SUBSCRIPTIONS ?? 1000);
const RECORDS = Number(process.env.BENCH_DCI_RECORDS ?? 100_000);
const EVENTS = Number(process.env.BENCH_DCI_EVENTS ?? 10_000);
const EVENT_MINUTES = Number(process.env.BENCH_DCI_EVENT_MINUTES ?? 5);
const LOCATIONS = ['central_region', 'northern_region', 'southern_region', 'eastern_region', 'western_region'];

interface Band { location: string; lo: number; hi: number }
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Milliseconds to the next second 3 of a minute: just after a firing. */
const untilSecond3 = () => (63_000 - (Date.now() % 60_000)) % 60_000;

export default async function dciSubscriptionsBench(): Promise<void> {
  const env = await startBenchEnv();
  const notifies: { code: string; ids: string[]; at: number; firing: number }[] = [];
  let onSubscribe = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const at = Date.now();
      const body = JSON.parse(raw);
      if (body.header?.action === 'notify') {
        // message_id is the delivery ID: dci_notify_<code>_<firing ms>_<batch>.
        const firing = Number(/_(\d+)_\d+$/.exec(body.header.message_id)?.[1]);
        notifies.push({ code: body.header.meta.subscription_code, ids: body.message.notify_event.map((e: any) => e.data.reg_records.personal_details.identifier), at, firing });
      } else if (body.header?.action === 'on-subscribe') onSubscribe++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":{"ack_status":"ACK"}}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sp/callback`;
  try {
    const { db } = env.deps;
    const t0 = Date.now();
    for (let start = 0; start < RECORDS; start += 10_000) await upsertRecords(db, 'dr', generateRecords('dr', Math.min(10_000, RECORDS - start), 42, start));
    console.log(`records:              ${RECORDS} DR records loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // The subscriber: a registered sender with a bearer token.
    const senderId = 'bench-spmis.example.org';
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
    await registerSender(db, { id: senderId, name: 'Bench SP-MIS', signingKey: JSON.stringify(publicKey.export({ format: 'jwk' })), signingKeyId: 'k1' });
    const token = await signDciSenderToken(env.deps.jwtKeys, { senderId, clientId: 'bench' }, env.deps.config.jwt);
    const registryId = dciKeys(env.deps.config).registryIds.dr;

    const perLocation = Math.ceil(SUBSCRIPTIONS / LOCATIONS.length);
    const width = 100 / perLocation;
    const bands: Band[] = Array.from({ length: SUBSCRIPTIONS }, (_, i) => {
      const k = Math.floor(i / LOCATIONS.length);
      return { location: LOCATIONS[i % LOCATIONS.length], lo: +(k * width).toFixed(4), hi: k === perLocation - 1 ? 1000 : +((k + 1) * width).toFixed(4) };
    });
    const t1 = Date.now();
    const correlationIds: string[] = [];
    for (let i = 0; i < bands.length; i += 100) {
      const message = {
        transaction_id: `bench-${i}`,
        subscribe_request: bands.slice(i, i + 100).map((b, j) => ({
          reference_id: `band-${i + j}`,
          timestamp: new Date().toISOString(),
          subscribe_criteria: {
            version: '1.0.0', reg_type: 'ns:org:RegistryType:DR', reg_event_type: 'REGISTER',
            frequency: { start_time: new Date().toISOString(), end_time: new Date(Date.now() + 86_400_000).toISOString(), frequency: '0 * * * * ?' },
            filter_type: 'expression',
            filter: { type: 'ns:org:QueryType:NoSql', value: { expression: { query: { location: { $eq: b.location }, poverty_score: { $gte: b.lo, $lt: b.hi } } } } },
            notify_record_type: 'spdci-extensions-dci:DisabledPerson',
          },
        })),
      };
      const header = { version: '1.0.0', message_id: crypto.randomUUID(), message_ts: new Date().toISOString(), action: 'subscribe', sender_id: senderId, sender_uri: callbackUrl, receiver_id: registryId, total_count: message.subscribe_request.length, is_msg_encrypted: false, meta: {} };
      const signature = signEnvelope(header, message, { privateKey, kidId: `${senderId}|k1|ed25519` });
      const res = await fetch(`${env.baseUrl}/dci/dr/registry/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ signature, header, message }) });
      const ack = (await res.json()) as any;
      if (ack.message?.ack_status !== 'ACK') throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
      correlationIds.push(ack.message.correlation_id);
    }
    // Every subscribe job done: subscriptions registered, on-subscribe sent, one workflow per code started.
    for (const c of correlationIds) await env.deps.temporal!.workflow.getHandle(requestWorkflowId('subscribe', 'dr', c)).result();
    const setupSeconds = (Date.now() - t1) / 1000;
    const subs: { code: string; reference_id: string }[] = await db('dci_subscriptions').where({ sender_id: senderId, status: 'subscribe' }).select('code', 'reference_id');
    if (subs.length !== SUBSCRIPTIONS) throw new Error(`${subs.length} subscriptions registered, expected ${SUBSCRIPTIONS}`);
    const bandOf = new Map(subs.map((s) => [s.code, bands[Number(s.reference_id.slice(5))]]));
    console.log(`subscriptions:        ${subs.length} active (${onSubscribe} on-subscribe callbacks), set up in ${setupSeconds.toFixed(1)} s (10 subscribe jobs, 1,000 subscription workflows started)`);

    // Each minute's share of the events is written just after a firing (from second 3), so the
    // next firing collects exactly it.
    const chosen: { identifier: string; record: any }[] = await db('registry_records').where({ registry: 'dr' }).orderByRaw('md5(identifier)').limit(EVENTS).select('identifier', 'record');
    const perMinute = Math.ceil(chosen.length / EVENT_MINUTES);
    const committedAt = new Map<string, number>();
    const expected = new Map<number, Map<string, Set<string>>>(); // firing -> code -> record identifiers
    const firings: number[] = [];
    const groups = benchGroups({ workerPids: env.workers.map((w) => w.pid!), apiPid: env.api.pid!, postgresPort: env.ports.postgres, temporalPort: env.ports.temporal });
    let idleRss = 0;
    let cpuBefore: ReturnType<typeof cpuSnapshot> | undefined;
    let writeSeconds = 0;
    for (let m = 0; m < EVENT_MINUTES; m++) {
      await sleep(untilSecond3());
      if (m === 0) {
        idleRss = peakRssMb(env.workers[0].pid!);
        cpuBefore = cpuSnapshot(groups);
      }
      const slice = chosen.slice(m * perMinute, (m + 1) * perMinute);
      const tw = Date.now();
      for (let i = 0; i < slice.length; i += 1000) {
        const batch = slice.slice(i, i + 1000);
        await upsertRecords(db, 'dr', batch.map((c) => ({ ...c.record, disability_level: c.record.disability_level === 'Severe' ? 'Moderate' : 'Severe' })));
        const at = Date.now();
        for (const c of batch) committedAt.set(c.identifier, at);
      }
      writeSeconds += (Date.now() - tw) / 1000;
      const firing = Math.ceil(Date.now() / 60_000) * 60_000;
      if (firing - tw > 60_000) throw new Error(`minute ${m + 1}: writing its events took past the next firing`);
      firings.push(firing);
      const byCode = new Map<string, Set<string>>();
      for (const [code, b] of bandOf) {
        const ids = slice.filter((c) => c.record.location === b.location && c.record.poverty_score >= b.lo && c.record.poverty_score < b.hi).map((c) => c.identifier);
        if (ids.length) byCode.set(code, new Set(ids));
      }
      expected.set(firing, byCode);
      console.log(`life events, minute ${m + 1}/${EVENT_MINUTES}: ${slice.length} record updates in ${((Date.now() - tw) / 1000).toFixed(1)} s; firing ${new Date(firing).toISOString()} owes ${byCode.size} subscriptions a notify`);
    }

    // Until every owed notify arrived (or 15 minutes after the last firing), then 5 s for extras.
    const owed = [...expected.values()].reduce((n, m) => n + m.size, 0);
    const owedRecords = [...expected.values()].reduce((n, m) => n + [...m.values()].reduce((k, ids) => k + ids.size, 0), 0);
    const deadline = firings[firings.length - 1] + 15 * 60_000;
    const arrived = () => new Set(notifies.flatMap((n) => n.ids.map((id) => `${n.code} ${id}`))).size;
    while (arrived() < owedRecords && Date.now() < deadline) await sleep(500);
    const cpuAfter = cpuSnapshot(groups);
    await sleep(5_000);
    const rss = peakRssMb(env.workers[0].pid!);

    // Per subscription, firing by firing: a notify must carry exactly the events owed since its
    // previous notify. Owed by one firing: on time. By several: the subscription was late and
    // folded the firings it missed into one (fire once now). Anything else is wrong.
    let exact = 0;
    let folded = 0;
    let foldedNotifies = 0;
    const problems: string[] = [];
    const codes = new Set([...notifies.map((n) => n.code), ...[...expected.values()].flatMap((m) => [...m.keys()])]);
    for (const code of codes) {
      const mine = notifies.filter((n) => n.code === code);
      const labels = [...new Set([...mine.map((n) => n.firing), ...firings.filter((f) => expected.get(f)!.has(code))])].sort((a, b) => a - b);
      let pending = new Set<string>();
      let pendingFirings = 0;
      let owedAt = 0;
      for (const label of labels) {
        const owedHere = expected.get(label)?.get(code);
        if (owedHere) {
          for (const id of owedHere) pending.add(id);
          pendingFirings++;
          owedAt = label;
        }
        const these = mine.filter((n) => n.firing === label);
        if (!these.length) continue;
        const ids = these.flatMap((n) => n.ids);
        if (these.length === 1 && ids.length === pending.size && ids.every((id) => pending.has(id))) {
          if (pendingFirings === 1 && owedAt === label) exact++;
          else {
            folded += pendingFirings;
            foldedNotifies++;
          }
        } else if (problems.length < 5) problems.push(`${code} at ${new Date(label).toISOString()}: ${these.length} notifies, ${ids.length} records, expected 1 with ${pending.size}`);
        pending = new Set();
        pendingFirings = 0;
      }
      if (pending.size && problems.length < 5) problems.push(`${code}: ${pending.size} records never notified`);
    }
    const lags = notifies.flatMap((n) => n.ids.map((id) => n.at - committedAt.get(id)!)).sort((a, b) => a - b);
    const afterFiring = notifies.map((n) => n.at - n.firing).sort((a, b) => a - b);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(`life events:          ${chosen.length} record updates over ${EVENT_MINUTES} minute(s), written in ${writeSeconds.toFixed(1)} s in all`);
    console.log(`notifies:             ${notifies.length} for ${owed} (firing, subscription) pairs owed one`);
    console.log(`exactly its events:   ${exact} / ${owed} on time: one notify for that firing with exactly its matching records; ${folded} late, folded into ${foldedNotifies} later notifies with exactly their records${problems.length ? `\n  ${problems.join('\n  ')}` : ''}`);
    console.log(`records notified:     ${lags.length} (of ${chosen.length} events)`);
    console.log(`event → notify:       p50 ${s(percentile(lags, 50))}, p95 ${s(percentile(lags, 95))}, max ${s(lags[lags.length - 1])} (includes waiting for the minute's firing)`);
    console.log(`firing → notify:      p50 ${s(percentile(afterFiring, 50))}, p95 ${s(percentile(afterFiring, 95))}, last ${s(afterFiring[afterFiring.length - 1])}`);
    console.log(`worker peak RSS:      ${rss.toFixed(0)} MB (before the events: ${idleRss.toFixed(0)} MB)`);
    console.log(`CPU, first events to last notify: ${describeCpu(cpuBefore!, cpuAfter, os.cpus().length)}`);
    if (problems.length || exact + folded !== owed) throw new Error('subscriptions did not get exactly their matching events');
  } finally {
    server.close();
    await env.close();
  }
}
