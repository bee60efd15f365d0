import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { REGISTRY_KEYS, RegistryKey } from '../../domain/dci/registries';
import { logger } from '../../logger';
import { enqueueCallback, PayloadSigner } from '../callbacks/deliveries';
import { encryptMessage } from './encryption';
import { dciKeys } from './keys';
import { callbackHeader, HeaderInput } from './messages';
import { senderEncryptionKey } from './senders';
import { peerToken } from './peerTokens';
import { signEnvelope } from './signature';

/**
 * Every message Steward sends a DCI sender (on-search, on-subscribe, notify, on-unsubscribe,
 * on-status) goes through the one callback delivery mechanism: recorded here with a deterministic
 * ID (encrypted first when the sender asked for encryption), then delivered with retries by the
 * workflow; each attempt signs the envelope afresh, so a retry days later still carries a valid
 * signature.
 */
/** Who a reply goes to: the sender of a DCI transaction or subscription (their rows' columns). */
export interface DciReplyTarget {
  registry: RegistryKey;
  sender_id: string;
  sender_uri: string;
  encrypted: boolean;
}

/** A reply: its deterministic delivery ID (also the message_id), header fields and message. */
export interface DciReply extends Pick<HeaderInput, 'action' | 'status' | 'totalCount' | 'completedCount' | 'meta'> {
  id: string;
  message: unknown;
}

/** Where each callback action goes when `sender_uri` is a DCI API base (its path ends in `/registry`). */
const CALLBACK_PATHS: Record<string, string> = {
  'on-search': 'on-search',
  'on-subscribe': 'on-subscribe',
  'on-unsubscribe': 'on-unsubscribe',
  notify: 'notify',
  'txn-on-status': 'txn/on-status',
};

/**
 * The URL a callback is posted to: `sender_uri` exactly as given, except that a DCI API base
 * (`https://sp.example.org/api/registry`, as Steward itself sends when it subscribes) gets the
 * callback's own path of the standard (`.../registry/notify`, `.../registry/on-subscribe`, ...).
 */
export function callbackUrl(senderUri: string, action: string): string {
  const url = new URL(senderUri);
  if (!/\/registry\/?$/.test(url.pathname) || !CALLBACK_PATHS[action]) return senderUri;
  url.pathname = `${url.pathname.replace(/\/$/, '')}/${CALLBACK_PATHS[action]}`;
  return url.toString();
}

/**
 * Records a reply to a DCI sender (idempotent on `id`): from the registry, to the sender's
 * callback URI, encrypted when the sender asked for it.
 */
export async function replyToSender(db: Db | Knex.Transaction, config: Config, to: DciReplyTarget, reply: DciReply): Promise<string> {
  let message = reply.message;
  if (to.encrypted) {
    const key = await senderEncryptionKey(db as Db, to.sender_id);
    if (!key) throw new Error(`sender ${to.sender_id} asked for encryption but has no encryption key registered`);
    message = await encryptMessage(message, key.key, key.kid);
  }
  const { id, message: _message, ...fields } = reply;
  const header = callbackHeader({ ...fields, messageId: id, senderId: dciKeys(config).registryIds[to.registry], receiverId: to.sender_id, encrypted: to.encrypted });
  return enqueueCallback(db, { id, organisationId: null, kind: `dci.${reply.action}`, url: callbackUrl(to.sender_uri, reply.action), signing: 'dci', payload: { signature: '', header, message } });
}

/**
 * Stamps and signs a stored envelope now, with Steward's key under the header's sender_id (the registry's
 * ID), and brings the receiver's bearer token when credentials for it are stored. A token that
 * cannot be had is logged and the callback goes without one: the receiver's 401 makes it retry.
 */
export function dciPayloadSigner(config: Config, db: Db): PayloadSigner {
  return async (payload) => {
    const keys = dciKeys(config);
    const stored = payload as { header: { sender_id: string; receiver_id: string; message_ts: string }; message: unknown };
    // Receivers accept only a recent message_ts: each attempt is stamped, like it is signed, afresh.
    const header = { ...stored.header, message_ts: new Date().toISOString() };
    const { message } = stored;
    const signature = signEnvelope(header, message, { privateKey: keys.signing.privateKey, kidId: `${header.sender_id}|${keys.signing.kid}|ed25519` });
    const registry = REGISTRY_KEYS.find((r) => keys.registryIds[r] === header.sender_id);
    let token: string | undefined;
    try {
      token = registry ? await peerToken(db, header.receiver_id, registry, config.callbackAllowPrivate) : undefined;
    } catch (err) {
      logger.warn({ err, receiver: header.receiver_id }, 'DCI callback: no bearer token from the receiver\'s token API');
    }
    return { body: { signature, header, message }, headers: token ? { authorization: `Bearer ${token}` } : undefined };
  };
}
