import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Db } from '../../db/knex';
import { DomainError } from '../errors';
import { jwkThumbprint } from './keys';
import type { KeyLookup } from './signature';

/**
 * Registered DCI senders (social-protection systems) and their public keys: an Ed25519 key per
 * signing key ID, and optionally an encryption key Steward encrypts replies to.
 */
export const senderIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,98}$/, 'must be 1-99 letters, digits, dots, dashes, colons or underscores');

export interface SenderInput {
  id: string;
  name: string;
  defaultCallbackUri?: string | null;
  /** Public key as PEM (SPKI) or JWK JSON. */
  signingKey?: string;
  signingKeyId?: string;
  encryptionKey?: string;
  encryptionKeyId?: string;
}

/** Parses a public key (PEM or JWK; a private key is reduced to its public half). */
export function parsePublicKey(text: string, field: string): crypto.KeyObject {
  try {
    const trimmed = text.trim();
    const input = trimmed.startsWith('{') ? { key: JSON.parse(trimmed), format: 'jwk' as const } : trimmed;
    return crypto.createPublicKey(input as crypto.PublicKeyInput);
  } catch (err) {
    throw new DomainError('BAD_USER_INPUT', `not a PEM or JWK public key (${(err as Error).message})`, field);
  }
}

function publicJwk(key: crypto.KeyObject): crypto.JsonWebKey {
  return key.export({ format: 'jwk' });
}

/** Creates the sender, or updates its name/URI, and adds the given keys. */
export async function registerSender(db: Db, input: SenderInput): Promise<{ id: string; keys: { keyId: string; use: string }[] }> {
  const keys: { key_id: string; use: 'sig' | 'enc'; public_jwk: crypto.JsonWebKey }[] = [];
  if (input.signingKey) {
    const key = parsePublicKey(input.signingKey, 'signingKey');
    if (key.asymmetricKeyType !== 'ed25519') throw new DomainError('BAD_USER_INPUT', `must be an Ed25519 key (got ${key.asymmetricKeyType})`, 'signingKey');
    const jwk = publicJwk(key);
    keys.push({ key_id: input.signingKeyId ?? jwkThumbprint(jwk), use: 'sig', public_jwk: jwk });
  }
  if (input.encryptionKey) {
    const key = parsePublicKey(input.encryptionKey, 'encryptionKey');
    if (!['x25519', 'ec', 'rsa'].includes(key.asymmetricKeyType ?? '')) {
      throw new DomainError('BAD_USER_INPUT', `must be an X25519, EC or RSA key (got ${key.asymmetricKeyType})`, 'encryptionKey');
    }
    const jwk = publicJwk(key);
    keys.push({ key_id: input.encryptionKeyId ?? jwkThumbprint(jwk), use: 'enc', public_jwk: jwk });
  }
  await db.transaction(async (trx) => {
    await trx('dci_senders')
      .insert({ id: input.id, name: input.name, default_callback_uri: input.defaultCallbackUri ?? null })
      .onConflict('id')
      .merge(input.defaultCallbackUri === undefined ? ['name'] : ['name', 'default_callback_uri']);
    for (const k of keys) {
      await trx('dci_sender_keys')
        .insert({ sender_id: input.id, key_id: k.key_id, use: k.use, public_jwk: JSON.stringify(k.public_jwk) })
        .onConflict(['sender_id', 'key_id'])
        .merge(['use', 'public_jwk', 'revoked_at']);
    }
  });
  return { id: input.id, keys: keys.map((k) => ({ keyId: k.key_id, use: k.use })) };
}

export async function getSender(db: Db | Knex.Transaction, id: string) {
  return db('dci_senders').where({ id }).first() as Promise<{ id: string; name: string; default_callback_uri: string | null } | undefined>;
}

export async function senderKeys(db: Db, senderId: string) {
  return db('dci_sender_keys').where({ sender_id: senderId }).whereNull('revoked_at').orderBy('created_at');
}

/** Signature verification's key lookup. */
export function senderKeyLookup(db: Db): KeyLookup {
  return async (senderId, keyId) => {
    const sender = await getSender(db, senderId);
    if (!sender) return 'unknown-sender';
    const row = await db('dci_sender_keys').where({ sender_id: senderId, key_id: keyId, use: 'sig' }).whereNull('revoked_at').first();
    return row ? crypto.createPublicKey({ key: row.public_jwk, format: 'jwk' }) : undefined;
  };
}

/** The key to encrypt replies to this sender with (its newest encryption key). */
export async function senderEncryptionKey(db: Db, senderId: string): Promise<{ key: crypto.KeyObject; kid: string } | undefined> {
  const row = await db('dci_sender_keys').where({ sender_id: senderId, use: 'enc' }).whereNull('revoked_at').orderBy('created_at', 'desc').first();
  return row ? { key: crypto.createPublicKey({ key: row.public_jwk, format: 'jwk' }), kid: row.key_id } : undefined;
}
