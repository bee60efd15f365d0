import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Deps } from '../../deps';
import { CronError, nextFiring, parseCron } from '../../domain/dci/cron';
import { parseQuery, QueryError, toSql } from '../../domain/dci/query';
import { acceptsRecordType, REGISTRIES, RegistryDef, RegistryKey } from '../../domain/dci/registries';
import { isUniqueViolation } from '../errors';
import { lifeEventsLockKey } from './records';
import { DCI_VERSION, nowIso, RequestStatus, truncate } from './messages';
import { replyToSender } from './outbox';
import { isIsoDateTime } from './search';
import { canonicalJson } from './signature';

/**
 * Subscriptions: registered from a subscribe request (each valid item one subscription, with its
 * code), fired on their cron frequency by one workflow each, ended by unsubscribe or end_time.
 * A firing sends `notify` with the records whose life events since the previous firing match the
 * subscription's filter; none match: no notify.
 */
export const NOTIFY_BATCH = 1000;

type SubscribeReason =
  | 'rjct.reference_id.invalid'
  | 'rjct.reference_id.duplicate'
  | 'rjct.timestamp.invalid'
  | 'rjct.notify_types.invalid'
  | 'rjct.notify_details.invalid'
  | 'rjct.event.already_subscribed';

class SubscribeRejection extends Error {
  constructor(
    readonly reasonCode: SubscribeReason,
    message: string,
  ) {
    super(message);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** reg_event_type: the standard's only notify event type is REGISTER (registrations and updates alike). */
const isRegisterEvent = (v: unknown) => typeof v === 'string' && (v === 'REGISTER' || v.endsWith(':REGISTER'));

interface CheckedSubscription {
  criteria: Record<string, unknown>;
  frequency: string;
  startTime: Date;
  endTime: Date;
  hash: string;
}

function checkSubscribeItem(def: RegistryDef, item: Record<string, unknown>, seen: Set<string>, now: Date): CheckedSubscription {
  const ref = item.reference_id;
  if (typeof ref !== 'string' || ref.trim() === '') throw new SubscribeRejection('rjct.reference_id.invalid', 'reference_id must be a non-empty string');
  if (seen.has(ref)) throw new SubscribeRejection('rjct.reference_id.duplicate', `reference_id "${ref}" appears twice in this request`);
  seen.add(ref);
  if (!isIsoDateTime(item.timestamp)) throw new SubscribeRejection('rjct.timestamp.invalid', 'timestamp must be an ISO 8601 date-time with a time zone');
  const c = item.subscribe_criteria as Record<string, unknown>;
  if (c.reg_type !== undefined && c.reg_type !== def.regType) throw new SubscribeRejection('rjct.notify_types.invalid', `subscribe_criteria.reg_type: this is the ${def.name} (${def.regType})`);
  if (!isRegisterEvent(c.reg_event_type)) throw new SubscribeRejection('rjct.notify_types.invalid', 'subscribe_criteria.reg_event_type: must be REGISTER (registrations and updates)');
  if (typeof c.notify_record_type !== 'string' || !acceptsRecordType(def, c.notify_record_type)) {
    throw new SubscribeRejection('rjct.notify_types.invalid', `subscribe_criteria.notify_record_type: must be ${def.recordType}`);
  }
  const f = c.frequency;
  if (!isPlainObject(f) || typeof f.frequency !== 'string') throw new SubscribeRejection('rjct.notify_details.invalid', 'subscribe_criteria.frequency: must be {start_time, end_time, frequency}');
  if (!isIsoDateTime(f.start_time) || !isIsoDateTime(f.end_time)) {
    throw new SubscribeRejection('rjct.notify_details.invalid', 'subscribe_criteria.frequency: start_time and end_time must be ISO 8601 date-times with a time zone');
  }
  const startTime = new Date(f.start_time);
  const endTime = new Date(f.end_time);
  if (endTime <= startTime) throw new SubscribeRejection('rjct.notify_details.invalid', 'subscribe_criteria.frequency.end_time: must be after start_time');
  if (endTime <= now) throw new SubscribeRejection('rjct.notify_details.invalid', 'subscribe_criteria.frequency.end_time: lies in the past');
  try {
    const cron = parseCron(f.frequency);
    if (nextFiring(cron, Math.max(now.getTime(), startTime.getTime() - 1000), endTime.getTime()) === null) {
      throw new SubscribeRejection('rjct.notify_details.invalid', 'subscribe_criteria.frequency: never fires between start_time and end_time');
    }
  } catch (err) {
    if (err instanceof CronError) throw new SubscribeRejection('rjct.notify_details.invalid', `subscribe_criteria.frequency.frequency: ${err.message}`);
    throw err;
  }
  try {
    parseQuery(def, c.filter_type ?? 'expression', c.filter);
  } catch (err) {
    if (err instanceof QueryError) throw new SubscribeRejection('rjct.notify_details.invalid', `subscribe_criteria.filter: ${err.message}`);
    throw err;
  }
  const hash = crypto
    .createHash('sha256')
    .update(canonicalJson({ e: c.reg_event_type, t: c.notify_record_type, ft: c.filter_type ?? 'expression', f: c.filter, fr: f }))
    .digest('hex');
  return { criteria: c, frequency: f.frequency, startTime, endTime, hash };
}

function subscriptionInfo(def: RegistryDef, row: { code: string; status: string; created_at: Date | string; criteria: Record<string, unknown> }) {
  const c = row.criteria;
  return {
    version: DCI_VERSION,
    code: row.code,
    status: row.status,
    timestamp: new Date(row.created_at).toISOString(),
    reg_type: def.regType,
    reg_event_type: 'REGISTER',
    frequency: c.frequency,
    filter_type: c.filter_type ?? 'expression',
    filter: c.filter,
    notify_record_type: def.recordType,
  };
}

/**
 * Subscribe request: checks each item, registers the valid ones (codes stable across retries) and
 * records the on-subscribe callback, all in one transaction. Returns the delivery and the codes.
 */
export async function registerSubscriptions(deps: Deps, correlationId: string): Promise<{ registry: RegistryKey; senderId: string; deliveryId: string; codes: string[] }> {
  return deps.db.transaction(async (trx) => {
    const tx = await trx('dci_transactions').where({ correlation_id: correlationId }).forUpdate().first();
    if (!tx) throw new Error(`DCI transaction ${correlationId} does not exist`);
    const registry = tx.registry as RegistryKey;
    const def = REGISTRIES[registry];
    const now = new Date();
    const seen = new Set<string>();
    const responses: Record<string, unknown>[] = [];
    const summary: Record<string, unknown>[] = [];
    const codes: string[] = [];
    const max = (await trx('registry_life_events').where({ registry }).max({ max: 'seq' }).first())?.max;
    for (const [index, item] of (tx.request.subscribe_request as Record<string, unknown>[]).entries()) {
      const ref = typeof item.reference_id === 'string' ? item.reference_id : String(item.reference_id ?? '');
      try {
        const checked = checkSubscribeItem(def, item, seen, now);
        let row = await trx('dci_subscriptions').where({ correlation_id: correlationId, item_index: index }).first();
        if (!row) {
          try {
            [row] = await trx.transaction(async (sp) =>
              sp('dci_subscriptions')
                .insert({
                  code: crypto.randomUUID(),
                  registry,
                  sender_id: tx.sender_id,
                  correlation_id: correlationId,
                  item_index: index,
                  reference_id: ref,
                  criteria: JSON.stringify(checked.criteria),
                  criteria_hash: checked.hash,
                  frequency: checked.frequency,
                  start_time: checked.startTime,
                  end_time: checked.endTime,
                  sender_uri: tx.sender_uri,
                  encrypted: tx.encrypted,
                  last_event_seq: max ?? 0,
                })
                .returning('*'),
            );
          } catch (err) {
            if (isUniqueViolation(err, 'dci_subscriptions_active_criteria')) {
              const existing = await trx('dci_subscriptions').where({ registry, sender_id: tx.sender_id, criteria_hash: checked.hash, status: 'subscribe' }).first('code');
              throw new SubscribeRejection('rjct.event.already_subscribed', `an identical subscription is active (code ${existing?.code})`);
            }
            throw err;
          }
        }
        codes.push(row.code);
        responses.push({ reference_id: ref, timestamp: nowIso(), status: 'succ', subscriptions: [subscriptionInfo(def, row)] });
        summary.push({ reference_id: ref, status: 'succ', code: row.code });
      } catch (err) {
        if (!(err instanceof SubscribeRejection)) throw err;
        responses.push({ reference_id: ref, timestamp: nowIso(), status: 'rjct', status_reason_code: err.reasonCode, status_reason_message: truncate(err.message) });
        summary.push({ reference_id: ref, status: 'rjct', status_reason_code: err.reasonCode, status_reason_message: truncate(err.message) });
      }
    }
    const status: RequestStatus = codes.length ? 'succ' : 'rjct';
    await trx('dci_transactions').where({ correlation_id: correlationId }).update({ status, response: JSON.stringify({ items: summary }), completed_at: trx.fn.now() });
    const deliveryId = await replyToSender(trx, deps.config, tx, {
      id: `dci_on-subscribe_${correlationId}`,
      action: 'on-subscribe',
      status,
      totalCount: responses.length,
      completedCount: responses.length,
      message: { transaction_id: tx.transaction_id, correlation_id: correlationId, subscribe_response: responses },
    });
    return { registry, senderId: tx.sender_id, deliveryId, codes };
  });
}

export interface SubscriptionSchedule {
  registry: RegistryKey;
  status: 'subscribe' | 'unsubscribe';
  frequency: string;
  startMs: number;
  endMs: number;
}

/** What the subscription workflow needs to schedule itself: times and the cron string, no personal data. */
export async function subscriptionSchedule(deps: Deps, code: string): Promise<SubscriptionSchedule> {
  const row = await deps.db('dci_subscriptions').where({ code }).first();
  if (!row) throw new Error(`subscription ${code} does not exist`);
  return { registry: row.registry, status: row.status, frequency: row.frequency, startMs: new Date(row.start_time).getTime(), endMs: new Date(row.end_time).getTime() };
}

/**
 * The newest life event seq, of the events changed by `until`, below which every event is
 * committed: read while no writer is inside its transaction (the writers' shared lock, taken
 * exclusively here for just this moment). Capped at the firing's scheduled time so that a firing
 * that runs late leaves the events after its time to the next one: one notify per firing window.
 */
async function committedEventsUpTo(deps: Deps, registry: RegistryKey, until: Date): Promise<number> {
  return deps.db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [lifeEventsLockKey(registry)]);
    const row = await trx('registry_life_events').where({ registry }).where('changed_at', '<=', until).max({ max: 'seq' }).first();
    return Number(row?.max ?? 0);
  });
}

/**
 * One firing: the records whose life events since the last firing match the filter, sent as
 * notify callbacks of up to 1000 records. Recorded per firing time, so a retry sends the same.
 */
export async function fireSubscription(deps: Deps, code: string, firedAtIso: string): Promise<{ ended: boolean; deliveryIds: string[]; recordCount: number }> {
  const firedAt = new Date(firedAtIso);
  const registryOf = await deps.db('dci_subscriptions').where({ code }).first('registry');
  if (!registryOf) return { ended: true, deliveryIds: [], recordCount: 0 };
  const newestSeq = await committedEventsUpTo(deps, registryOf.registry, firedAt);
  return deps.db.transaction(async (trx) => {
    const done = await trx('dci_subscription_firings').where({ code, fired_at: firedAt }).first();
    if (done) return { ended: false, deliveryIds: done.delivery_ids, recordCount: done.record_count };
    const sub = await trx('dci_subscriptions').where({ code }).forUpdate().first();
    if (!sub || sub.status !== 'subscribe') return { ended: true, deliveryIds: [], recordCount: 0 };
    const registry = sub.registry as RegistryKey;
    const def = REGISTRIES[registry];
    const fromSeq = Number(sub.last_event_seq);
    const toSeq = Math.max(fromSeq, newestSeq);
    let records: { record: Record<string, unknown> }[] = [];
    if (toSeq > fromSeq) {
      const where = toSql(parseQuery(def, sub.criteria.filter_type ?? 'expression', sub.criteria.filter), 'r');
      records = await trx('registry_records as r')
        .where('r.registry', registry)
        .whereIn('r.id', (q: Knex.QueryBuilder) => q.select('e.record_id').from('registry_life_events as e').where('e.registry', registry).where('e.seq', '>', fromSeq).where('e.seq', '<=', toSeq))
        .whereRaw(where.sql, where.bindings as Knex.RawBinding[])
        .orderBy('r.id')
        .select('r.record');
    }
    const deliveryIds: string[] = [];
    const { transaction_id: transactionId } = await trx('dci_transactions').where({ correlation_id: sub.correlation_id }).first('transaction_id');
    for (let i = 0; i < records.length; i += NOTIFY_BATCH) {
      const batch = records.slice(i, i + NOTIFY_BATCH);
      const id = await replyToSender(trx, deps.config, sub, {
        id: `dci_notify_${code}_${firedAt.getTime()}_${i / NOTIFY_BATCH}`,
        action: 'notify',
        status: 'succ',
        totalCount: records.length,
        completedCount: i + batch.length,
        meta: { subscription_code: code },
        message: {
          transaction_id: transactionId,
          notify_event: batch.map((r) => ({
            reference_id: sub.reference_id,
            timestamp: nowIso(),
            data: { version: DCI_VERSION, reg_type: def.regType, reg_event_type: 'REGISTER', reg_record_type: def.recordType, reg_records: r.record },
          })),
        },
      });
      deliveryIds.push(id);
    }
    await trx('dci_subscription_firings').insert({ code, fired_at: firedAt, from_seq: fromSeq, to_seq: toSeq, record_count: records.length, delivery_ids: deliveryIds });
    await trx('dci_subscriptions').where({ code }).update({ last_event_seq: toSeq });
    return { ended: false, deliveryIds, recordCount: records.length };
  });
}

function unsubscribeResponse(tx: { transaction_id: string; correlation_id: string }, status: RequestStatus, codes: { code: string; status: string }[], reason?: { code: string; message: string }) {
  return {
    transaction_id: tx.transaction_id,
    correlation_id: tx.correlation_id,
    timestamp: nowIso(),
    status,
    ...(reason ? { status_reason_code: reason.code, status_reason_message: truncate(reason.message) } : {}),
    subscription_status: codes,
  };
}

/** end_time has passed: the subscription ends and the subscriber gets on-unsubscribe. Returns the delivery (none if it had already ended). */
export async function endSubscription(deps: Deps, code: string): Promise<string | null> {
  return deps.db.transaction(async (trx) => {
    const sub = await trx('dci_subscriptions').where({ code }).forUpdate().first();
    if (!sub || sub.status !== 'subscribe') return null;
    await trx('dci_subscriptions').where({ code }).update({ status: 'unsubscribe', end_reason: 'ended', ended_at: trx.fn.now() });
    const tx = await trx('dci_transactions').where({ correlation_id: sub.correlation_id }).first();
    return replyToSender(trx, deps.config, sub, {
      id: `dci_on-unsubscribe_${code}_ended`,
      action: 'on-unsubscribe',
      status: 'succ',
      totalCount: 1,
      completedCount: 1,
      meta: { subscription_code: code, reason: 'end_time' },
      message: unsubscribeResponse(tx, 'succ', [{ code, status: 'unsubscribe' }]),
    });
  });
}

/**
 * Unsubscribe request: all codes or none. An unknown code (or another sender's) is
 * rjct.subscription_code.invalid, an ended one rjct.event.already_unsubscribed.
 */
export async function processUnsubscribe(deps: Deps, correlationId: string): Promise<{ registry: RegistryKey; deliveryId: string; codes: string[] }> {
  return deps.db.transaction(async (trx) => {
    const tx = await trx('dci_transactions').where({ correlation_id: correlationId }).forUpdate().first();
    if (!tx) throw new Error(`DCI transaction ${correlationId} does not exist`);
    const registry = tx.registry as RegistryKey;
    const requested = [...new Set(tx.request.subscription_codes as string[])];
    const existing = await trx('dci_subscriptions').whereIn('code', requested.filter((c) => /^[0-9a-f-]{36}$/i.test(c))).where({ registry, sender_id: tx.sender_id }).forUpdate();
    const byCode = new Map<string, { code: string; status: string; unsubscribed_by: string | null }>(existing.map((s: { code: string; status: string; unsubscribed_by: string | null }) => [s.code, s]));
    const unknown = requested.filter((c) => !byCode.has(c));
    // A resent unsubscribe finds its own work done: that is success, not "already unsubscribed".
    const ended = requested.filter((c) => byCode.get(c)?.status === 'unsubscribe' && byCode.get(c)?.unsubscribed_by !== correlationId);
    let status: RequestStatus = 'succ';
    let reason: { code: string; message: string } | undefined;
    if (unknown.length) {
      status = 'rjct';
      reason = { code: 'rjct.subscription_code.invalid', message: `no subscription of ${tx.sender_id} in this registry has code ${unknown.join(', ')}` };
    } else if (ended.length) {
      status = 'rjct';
      reason = { code: 'rjct.event.already_unsubscribed', message: `already unsubscribed: ${ended.join(', ')}` };
    } else {
      await trx('dci_subscriptions').whereIn('code', requested).where({ status: 'subscribe' }).update({ status: 'unsubscribe', end_reason: 'unsubscribed', ended_at: trx.fn.now(), unsubscribed_by: correlationId });
    }
    const codes = requested.filter((c) => byCode.has(c)).map((c) => ({ code: c, status: status === 'succ' ? 'unsubscribe' : byCode.get(c)!.status }));
    const message = unsubscribeResponse(tx, status, codes, reason);
    await trx('dci_transactions').where({ correlation_id: correlationId }).update({ status, response: JSON.stringify({ status, ...(reason ? { status_reason_code: reason.code, status_reason_message: reason.message } : {}), subscription_status: codes }), completed_at: trx.fn.now() });
    const deliveryId = await replyToSender(trx, deps.config, tx, {
      id: `dci_on-unsubscribe_${correlationId}`,
      action: 'on-unsubscribe',
      status,
      totalCount: requested.length,
      completedCount: requested.length,
      message,
    });
    return { registry, deliveryId, codes: status === 'succ' ? requested : [] };
  });
}

export { subscriptionInfo };
