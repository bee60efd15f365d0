import type crypto from 'node:crypto';
import { FlattenedEncrypt, flattenedDecrypt } from 'jose';

/**
 * `is_msg_encrypted` messages: the message is a JWE in the standard's EncryptedMessage shape
 * ({header: {alg, enc, kid}, ciphertext, encrypted_key, tag, iv}; jose's flattened JSON
 * serialisation, with alg/enc/kid in the per-recipient header). Key agreement ECDH-ES+A256KW
 * (X25519 / EC keys) or RSA-OAEP-256 (RSA keys), content encryption A256GCM.
 */
export interface EncryptedMessage {
  header: { alg: string; enc: string; kid: string; [k: string]: unknown };
  protected?: string;
  ciphertext: string;
  encrypted_key: string;
  tag: string;
  iv: string;
}

export class EncryptionError extends Error {}

export const KEY_MANAGEMENT_ALGORITHMS = ['ECDH-ES+A256KW', 'RSA-OAEP-256'];
export const CONTENT_ENCRYPTION_ALGORITHMS = ['A256GCM'];

export function isEncryptedMessage(v: unknown): v is EncryptedMessage {
  const m = v as EncryptedMessage;
  return (
    m !== null && typeof m === 'object' && typeof m.header === 'object' && m.header !== null &&
    ['ciphertext', 'encrypted_key', 'tag', 'iv'].every((k) => typeof (m as unknown as Record<string, unknown>)[k] === 'string')
  );
}

export async function encryptMessage(message: unknown, recipient: crypto.KeyObject, kid: string): Promise<EncryptedMessage> {
  const alg = recipient.asymmetricKeyType === 'rsa' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW';
  const jwe = await new FlattenedEncrypt(new TextEncoder().encode(JSON.stringify(message)))
    .setUnprotectedHeader({ alg, enc: 'A256GCM', kid })
    .encrypt(recipient);
  return jwe as unknown as EncryptedMessage;
}

/** Decrypts with our key; the JWE must name our key ID. */
export async function decryptMessage(jwe: unknown, privateKey: crypto.KeyObject, kid: string): Promise<unknown> {
  if (!isEncryptedMessage(jwe)) throw new EncryptionError('message must be an EncryptedMessage {header: {alg, enc, kid}, ciphertext, encrypted_key, tag, iv}');
  if (jwe.header.kid !== kid) throw new EncryptionError(`message.header.kid: "${jwe.header.kid}" is not this registry's encryption key (${kid}; see /.well-known/jwks.json)`);
  let plaintext: Uint8Array;
  try {
    // Pinned: only the algorithms Steward documents, never whatever a sender's header names.
    ({ plaintext } = await flattenedDecrypt(jwe as never, privateKey, { keyManagementAlgorithms: KEY_MANAGEMENT_ALGORITHMS, contentEncryptionAlgorithms: CONTENT_ENCRYPTION_ALGORITHMS }));
  } catch (err) {
    throw new EncryptionError(`message could not be decrypted: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(new TextDecoder().decode(plaintext));
  } catch {
    throw new EncryptionError('decrypted message is not JSON');
  }
}
