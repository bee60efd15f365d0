import crypto from 'node:crypto';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { REGISTRIES, RegistryKey } from '../../domain/dci/registries';
import { checkCallbackUrl } from '../callbacks/addressGuard';
import { DomainError } from '../errors';
import { dciKeys } from './keys';
import { DCI_VERSION } from './messages';
import { peerToken } from './peerTokens';
import { signEnvelope } from './signature';

/**
 * Steward as the requesting party: one of its registries sends a signed request (subscribe,
 * unsubscribe, search, txn/status) to another registry's DCI API, with that registry's bearer
 * token, and records it; the callbacks answering it arrive at Steward's receiving paths
 * (callbackInbox.ts). `sender_uri` is the calling registry's own API base, so each callback comes
 * back to its own path (.../registry/on-subscribe, .../registry/notify, ...).
 */
export type OutboundAction = 'search' | 'subscribe' | 'unsubscribe' | 'txn-status';
const PATHS: Record<OutboundAction, string> = { search: 'search', subscribe: 'subscribe', unsubscribe: 'unsubscribe', 'txn-status': 'txn/status' };

export interface OutboundRequest {
  /** Our registry, the sender. */
  registry: RegistryKey;
  /** The peer's DCI API base, e.g. https://dr.example.org/registry (the action's path is appended). */
  to: string;
  /** The peer's DCI id (header.receiver_id). */
  peerId: string;
  action: OutboundAction;
  message: { transaction_id: string } & Record<string, unknown>;
  /** header.sender_uri: our registry's API base (default PUBLIC_BASE_URL/dci/<registry>/registry). */
  callbackBase?: string;
}

export interface OutboundResult {
  messageId: string;
  httpStatus: number;
  ack: { message?: { ack_status?: string; correlation_id?: string; error?: { code: string; message: string } } };
}

const totalCount = (m: Record<string, unknown>) =>
  ['search_request', 'subscribe_request', 'subscription_codes'].map((k) => m[k]).find(Array.isArray)?.length ?? 1;

export async function sendDciRequest(db: Db, config: Config, r: OutboundRequest): Promise<OutboundResult> {
  const keys = dciKeys(config);
  const senderId = keys.registryIds[r.registry];
  const header = {
    version: DCI_VERSION,
    message_id: crypto.randomUUID(),
    message_ts: new Date().toISOString(),
    action: r.action,
    sender_id: senderId,
    sender_uri: r.callbackBase ?? `${config.publicBaseUrl}/dci/${r.registry}/registry`,
    receiver_id: r.peerId,
    total_count: totalCount(r.message),
    is_msg_encrypted: false,
    meta: {},
  };
  const signature = signEnvelope(header, r.message, { privateKey: keys.signing.privateKey, kidId: `${senderId}|${keys.signing.kid}|ed25519` });
  const url = `${r.to.replace(/\/$/, '')}/${PATHS[r.action]}`;
  try {
    checkCallbackUrl(url, config.callbackAllowPrivate);
  } catch (err) {
    throw new DomainError('BAD_USER_INPUT', (err as Error).message, 'to');
  }
  const token = await peerToken(db, r.peerId, r.registry, config.callbackAllowPrivate);
  await db('dci_outbound_requests').insert({
    message_id: header.message_id,
    registry: r.registry,
    peer_id: r.peerId,
    url,
    action: r.action,
    transaction_id: r.message.transaction_id,
    request: JSON.stringify(r.message),
    status: 'sent',
  });
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'error',
    signal: AbortSignal.timeout(30_000),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ signature, header, message: r.message }),
  });
  const ack = (await res.json().catch(() => ({}))) as OutboundResult['ack'];
  const acked = res.ok && ack.message?.ack_status === 'ACK';
  // A callback may already have answered (and set the status) before this ACK is read.
  await db('dci_outbound_requests')
    .where({ message_id: header.message_id, status: 'sent' })
    .update({ status: acked ? 'acked' : 'refused', ack: JSON.stringify(ack), updated_at: db.fn.now() });
  if (acked) await db('dci_outbound_requests').where({ message_id: header.message_id }).update({ ack: JSON.stringify(ack) });
  return { messageId: header.message_id, httpStatus: res.status, ack };
}

/** A subscribe request's message for a registry of the given kind (its reg_type and record type). */
export function subscribeMessage(peerType: RegistryKey, s: { filter: unknown; frequency: string; startTime: string; endTime: string; referenceId?: string }) {
  const def = REGISTRIES[peerType];
  return {
    transaction_id: `txn-${crypto.randomUUID()}`,
    subscribe_request: [
      {
        reference_id: s.referenceId ?? crypto.randomUUID(),
        timestamp: new Date().toISOString(),
        subscribe_criteria: {
          version: DCI_VERSION,
          reg_type: def.regType,
          reg_event_type: 'REGISTER',
          frequency: { start_time: s.startTime, end_time: s.endTime, frequency: s.frequency },
          filter_type: 'expression',
          filter: { type: 'ns:org:QueryType:NoSql', value: { expression: { query: s.filter } } },
          notify_record_type: def.recordType,
        },
      },
    ],
  };
}

export function unsubscribeMessage(codes: string[]) {
  return { transaction_id: `txn-${crypto.randomUUID()}`, timestamp: new Date().toISOString(), subscription_codes: codes };
}

export async function sentRequests(db: Db, registry: RegistryKey, limit: number) {
  return db('dci_outbound_requests').where({ registry }).orderBy('created_at', 'desc').limit(limit);
}
