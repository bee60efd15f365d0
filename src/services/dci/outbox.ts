import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
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
export interface DciCallback {
  id: string;
  url: string;
  senderId: string;
  encrypt: boolean;
  header: Omit<HeaderInput, 'messageId' | 'encrypted'>;
  message: unknown;
}

/** Builds the envelope and records the delivery (idempotent on `id`). */
export async function enqueueDciCallback(db: Db | Knex.Transaction, c: DciCallback): Promise<string> {
  let message = c.message;
  if (c.encrypt) {
    const key = await senderEncryptionKey(db as Db, c.senderId);
    if (!key) throw new Error(`sender ${c.senderId} asked for encryption but has no encryption key registered`);
    message = await encryptMessage(message, key.key, key.kid);
  }
  const header = callbackHeader({ ...c.header, messageId: c.id, encrypted: c.encrypt });
  return enqueueCallback(db, { id: c.id, organisationId: null, kind: `dci.${c.header.action}`, url: c.url, signing: 'dci', payload: { signature: '', header, message } });
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
