import type { Knex } from 'knex';
import type { Deps } from '../../deps';
import { REGISTRIES, RegistryKey } from '../../domain/dci/registries';
import { Received, recordTransaction } from './inbox';
import { dciKeys } from './keys';
import { nowIso } from './messages';
import { replyToSender } from './outbox';
import type { ItemSummary } from './searchRequests';
import { signedReply } from './syncReply';
import { subscriptionInfo } from './subscriptions';

/**
 * Transaction status (the Farmer Registry's /registry/txn/status and /registry/sync/txn/status):
 * what became of a sender's earlier search, subscribe or unsubscribe, found by transaction_id,
 * correlation_id, reference_ids or subscription codes. Only the sender's own transactions are found.
 */
interface TxnStatusRequest {
  reference_id: string;
  txn_type: 'search' | 'subscribe' | 'unsubscribe';
  attribute_type: 'transaction_id' | 'reference_id_list' | 'correlation_id' | 'subscription_code_list';
  attribute_value: string | number | string[];
}

const list = (v: TxnStatusRequest['attribute_value']) => (Array.isArray(v) ? v : [String(v)]);

async function findTransaction(db: Knex, registry: RegistryKey, senderId: string, q: TxnStatusRequest) {
  const base = () => db('dci_transactions').where({ registry, sender_id: senderId, action: q.txn_type }).orderBy('created_at', 'desc');
  switch (q.attribute_type) {
    case 'transaction_id':
      return base().where({ transaction_id: String(q.attribute_value) }).first();
    case 'correlation_id':
      return base().where({ correlation_id: String(q.attribute_value) }).first();
    case 'reference_id_list': {
      const key = q.txn_type === 'subscribe' ? 'subscribe_request' : 'search_request';
      return base()
        .where((w) => {
          for (const ref of list(q.attribute_value)) w.orWhereRaw('request -> ? @> ?::jsonb', [key, JSON.stringify([{ reference_id: ref }])]);
        })
        .first();
    }
    case 'subscription_code_list': {
      const codes = list(q.attribute_value).filter((c) => /^[0-9a-f-]{36}$/i.test(c));
      if (q.txn_type === 'subscribe') {
        const sub = await db('dci_subscriptions').whereIn('code', codes).where({ registry, sender_id: senderId }).first('correlation_id');
        return sub ? base().where({ correlation_id: sub.correlation_id }).first() : undefined;
      }
      if (q.txn_type === 'unsubscribe') {
        const sub = await db('dci_subscriptions').whereIn('code', codes).where({ registry, sender_id: senderId }).whereNotNull('unsubscribed_by').first('unsubscribed_by');
        return sub ? base().where({ correlation_id: sub.unsubscribed_by }).first() : undefined;
      }
      return undefined;
    }
  }
}

/** The txnstatus_response for a request: the found transaction's status in its own response shape. */
export async function txnStatusResponse(db: Knex, registry: RegistryKey, senderId: string, transactionId: string, correlationId: string, q: TxnStatusRequest) {
  const found = await findTransaction(db, registry, senderId, q);
  const def = REGISTRIES[registry];
  const notFound = { reference_id: q.reference_id, timestamp: nowIso(), status: 'rjct', status_reason_code: 'rjct.reference_id.invalid', status_reason_message: `no ${q.txn_type} transaction of ${senderId} matches ${q.attribute_type}` };
  let txnStatus: unknown;
  if (q.txn_type === 'search') {
    const items: ItemSummary[] = found?.response?.items ?? [];
    txnStatus = found
      ? {
          transaction_id: found.transaction_id,
          correlation_id: found.correlation_id,
          search_response: items.map((i) => ({
            reference_id: i.reference_id,
            timestamp: nowIso(),
            status: found.status === 'pdng' && i.status === 'succ' ? 'pdng' : i.status,
            ...(i.status_reason_code ? { status_reason_code: i.status_reason_code, status_reason_message: i.status_reason_message } : {}),
            ...(i.total_count !== undefined ? { pagination: { page_size: i.page_size, page_number: i.pages?.[0] ?? 1, total_count: i.total_count } } : {}),
          })),
        }
      : { transaction_id: transactionId, correlation_id: correlationId, search_response: [notFound] };
  } else if (q.txn_type === 'subscribe') {
    if (found) {
      const subs = await db('dci_subscriptions').where({ correlation_id: found.correlation_id }).orderBy('item_index');
      const items: { reference_id: string; status: string; status_reason_code?: string; status_reason_message?: string; code?: string }[] = found.response?.items ?? [];
      txnStatus = {
        transaction_id: found.transaction_id,
        correlation_id: found.correlation_id,
        subscribe_response: items.map((i) => {
          const sub = subs.find((s: { code: string }) => s.code === i.code);
          return {
            reference_id: i.reference_id,
            timestamp: nowIso(),
            status: i.status,
            ...(i.status_reason_code ? { status_reason_code: i.status_reason_code, status_reason_message: i.status_reason_message } : {}),
            ...(sub ? { subscriptions: [subscriptionInfo(def, sub)] } : {}),
          };
        }),
      };
    } else {
      txnStatus = { transaction_id: transactionId, correlation_id: correlationId, subscribe_response: [notFound] };
    }
  } else {
    txnStatus = found
      ? { transaction_id: found.transaction_id, correlation_id: found.correlation_id, timestamp: nowIso(), ...(found.response ?? { status: found.status }) }
      : { transaction_id: transactionId, correlation_id: correlationId, timestamp: nowIso(), status: 'rjct', status_reason_code: 'rjct.reference_id.invalid', status_reason_message: notFound.status_reason_message };
  }
  return { transaction_id: transactionId, correlation_id: correlationId, txnstatus_response: { txn_type: q.txn_type, txn_status: txnStatus } };
}

export async function syncTxnStatus(deps: Deps, r: Received<'txn-status'>) {
  const { correlationId } = await recordTransaction(deps, r, true);
  const message = await txnStatusResponse(deps.db, r.registry, r.header.sender_id, r.message.transaction_id, correlationId, r.message.txnstatus_request as TxnStatusRequest);
  await deps.db('dci_transactions').where({ correlation_id: correlationId }).update({ status: 'succ', completed_at: deps.db.fn.now() });
  return signedReply(deps, r, { action: 'txn-on-status', status: 'succ', totalCount: 1, completedCount: 1, message });
}

/** Async txn/status: builds the txn/on-status callback and records its delivery. */
export async function buildTxnOnStatus(deps: Deps, correlationId: string): Promise<string> {
  const tx = await deps.db('dci_transactions').where({ correlation_id: correlationId }).first();
  const registry = tx.registry as RegistryKey;
  const message = await txnStatusResponse(deps.db, registry, tx.sender_id, tx.transaction_id, correlationId, tx.request.txnstatus_request);
  await deps.db('dci_transactions').where({ correlation_id: correlationId }).update({ status: 'succ', completed_at: deps.db.fn.now() });
  return replyToSender(deps.db, deps.config, tx, { id: `dci_txn-on-status_${correlationId}`, action: 'txn-on-status', status: 'succ', totalCount: 1, completedCount: 1, message });
}
