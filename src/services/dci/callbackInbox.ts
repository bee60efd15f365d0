import crypto from 'node:crypto';
import type { Deps } from '../../deps';
import { CallbackAction, DciRejection, Received } from './inbox';
import { canonicalJson } from './signature';

/**
 * Steward as the requesting party: the callbacks another registry sends it (on-search,
 * on-subscribe, on-unsubscribe, notify, txn/on-status), already verified (token, signature,
 * receiver, decryption) and validated by `receive`. Each is recorded once (a resent message_id
 * with the same content is acknowledged again, with other content refused), and the request it
 * answers (dci_outbound_requests, by transaction_id) takes its status; on-subscribe also brings
 * the subscription codes.
 */
const REQUEST_OF: Record<Exclude<CallbackAction, 'notify'>, string> = {
  'on-search': 'search',
  'on-subscribe': 'subscribe',
  'on-unsubscribe': 'unsubscribe',
  'txn-on-status': 'txn-status',
};

function subscriptionCodes(message: Record<string, unknown>): string[] {
  const items = (message.subscribe_response ?? []) as { subscriptions?: { code: string }[] }[];
  return items.flatMap((i) => (i.subscriptions ?? []).map((s) => s.code));
}

export async function recordCallback(deps: Deps, r: Received<CallbackAction>): Promise<{ correlationId: string; fresh: boolean }> {
  const message = r.message as Record<string, unknown>;
  // A redelivery carries a fresh message_ts and signature: the same message_id is the same
  // callback when its message is the same.
  const digest = crypto.createHash('sha256').update(canonicalJson(message)).digest('base64');
  const header = r.header as typeof r.header & { status?: string };
  const correlationId = typeof message.correlation_id === 'string' ? message.correlation_id : crypto.randomUUID();
  const meta = (header.meta ?? {}) as { subscription_code?: unknown };
  return deps.db.transaction(async (trx) => {
    const inserted = await trx('dci_received_callbacks')
      .insert({
        registry: r.registry,
        sender_id: header.sender_id,
        message_id: header.message_id,
        action: r.action,
        transaction_id: String(message.transaction_id),
        correlation_id: typeof message.correlation_id === 'string' ? message.correlation_id : null,
        subscription_code: typeof meta.subscription_code === 'string' ? meta.subscription_code : null,
        status: header.status ?? null,
        digest,
        header: JSON.stringify(header),
        message: JSON.stringify(message),
        record_count: Array.isArray(message.notify_event) ? message.notify_event.length : Array.isArray(message.search_response) ? message.search_response.length : 0,
      })
      .onConflict(['registry', 'sender_id', 'message_id'])
      .ignore()
      .returning('id');
    if (!inserted.length) {
      const existing = await trx('dci_received_callbacks').where({ registry: r.registry, sender_id: header.sender_id, message_id: header.message_id }).first('digest');
      if (existing.digest !== digest) {
        throw new DciRejection('err.request.bad', `header.message_id: "${header.message_id}" was already used for a different message (rjct.message_id.duplicate)`);
      }
      return { correlationId, fresh: false };
    }
    if (r.action !== 'notify') {
      const codes = r.action === 'on-subscribe' ? subscriptionCodes(message) : undefined;
      await trx('dci_outbound_requests')
        .where({ registry: r.registry, peer_id: header.sender_id, transaction_id: String(message.transaction_id), action: REQUEST_OF[r.action] })
        .update({
          status: header.status ?? (typeof message.status === 'string' ? message.status : 'succ'),
          peer_correlation_id: correlationId,
          ...(codes ? { subscription_codes: codes } : {}),
          updated_at: trx.fn.now(),
        });
    }
    return { correlationId, fresh: true };
  });
}
