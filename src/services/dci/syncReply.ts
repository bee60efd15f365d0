import crypto from 'node:crypto';
import type { Deps } from '../../deps';
import { encryptMessage } from './encryption';
import type { DciKind, Received } from './inbox';
import { dciKeys } from './keys';
import { callbackHeader, RequestStatus } from './messages';
import { senderEncryptionKey } from './senders';
import { signEnvelope } from './signature';

/**
 * The envelope a sync endpoint answers with: a callback header from the registry to the sender,
 * the message (encrypted to the sender when the request was), signed with Steward's key.
 */
export async function signedReply(deps: Deps, r: Received<DciKind>, reply: { action: string; status: RequestStatus; totalCount: number; completedCount: number; message: unknown }) {
  let message = reply.message;
  if (r.encrypted) {
    const key = await senderEncryptionKey(deps.db, r.header.sender_id);
    message = await encryptMessage(message, key!.key, key!.kid);
  }
  const keys = dciKeys(deps.config);
  const registryId = keys.registryIds[r.registry];
  const header = callbackHeader({
    messageId: crypto.randomUUID(),
    action: reply.action,
    status: reply.status,
    senderId: registryId,
    receiverId: r.header.sender_id,
    totalCount: reply.totalCount,
    completedCount: reply.completedCount,
    encrypted: r.encrypted,
  });
  const signature = signEnvelope(header, message, { privateKey: keys.signing.privateKey, kidId: `${registryId}|${keys.signing.kid}|ed25519` });
  return { signature, header, message };
}
