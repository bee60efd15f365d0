import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import type { RegistryKey } from '../../domain/dci/registries';
import { enqueueCallback, PayloadSigner } from '../callbacks/deliveries';
import { encryptMessage } from './encryption';
import { dciKeys } from './keys';
import { callbackHeader, HeaderInput } from './messages';
import { senderEncryptionKey } from './senders';
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
  return enqueueCallback(db, { id, organisationId: null, kind: `dci.${reply.action}`, url: to.sender_uri, signing: 'dci', payload: { signature: '', header, message } });
}

/** Signs a stored envelope now, with Steward's key under the header's sender_id (the registry's ID). */
export function dciPayloadSigner(config: Config): PayloadSigner {
  return (payload) => {
    const keys = dciKeys(config);
    const { header, message } = payload as { header: { sender_id: string }; message: unknown };
    const signature = signEnvelope(header, message, { privateKey: keys.signing.privateKey, kidId: `${header.sender_id}|${keys.signing.kid}|ed25519` });
    return { signature, header, message };
  };
}
