import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from '../../db/knex';
import { DomainError } from '../errors';

const scrypt = promisify(crypto.scrypt) as (secret: string, salt: Buffer, keylen: number) => Promise<Buffer>;

async function hashSecret(secret: string, salt = crypto.randomBytes(16)): Promise<string> {
  return `scrypt$${salt.toString('base64url')}$${(await scrypt(secret, salt, 32)).toString('base64url')}`;
}

async function secretMatches(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const candidate = Buffer.from((await hashSecret(secret, Buffer.from(salt, 'base64url'))).split('$')[2]);
  const expected = Buffer.from(hash);
  return candidate.length === expected.length && crypto.timingSafeEqual(candidate, expected);
}

/** Who an OAuth client acts for: a card issuer (seed 001) or a registered DCI sender (seeds 002/004). */
export type ClientOwner = { issuerId: string } | { dciSenderId: string };

async function createClient(db: Db, owner: ClientOwner): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = `cli_${crypto.randomBytes(12).toString('base64url')}`;
  const clientSecret = crypto.randomBytes(32).toString('base64url');
  await db('oauth_clients').insert({
    client_id: clientId,
    issuer_id: 'issuerId' in owner ? owner.issuerId : null,
    dci_sender_id: 'dciSenderId' in owner ? owner.dciSenderId : null,
    secret_hash: await hashSecret(clientSecret),
  });
  return { clientId, clientSecret };
}

/** An OAuth 2.0 client of an issuer (client credentials grant). The secret is returned once; only its hash is kept. */
export async function createOAuthClient(db: Db, issuerId: string): Promise<{ clientId: string; clientSecret: string }> {
  const issuer = await db('issuers').where({ id: issuerId }).first('id');
  if (!issuer) throw new DomainError('NOT_FOUND', `no issuer ${issuerId}`, 'issuer');
  return createClient(db, { issuerId });
}

/** An OAuth 2.0 client of a registered DCI sender: its tokens open the DCI endpoints for that sender_id. */
export async function createDciSenderClient(db: Db, senderId: string): Promise<{ clientId: string; clientSecret: string }> {
  const sender = await db('dci_senders').where({ id: senderId }).first('id');
  if (!sender) throw new DomainError('NOT_FOUND', `no DCI sender ${senderId}`, 'sender');
  return createClient(db, { dciSenderId: senderId });
}

/** The owner of a client whose credentials are right; null otherwise (unknown, revoked or wrong secret). */
export async function authenticateClient(db: Db, clientId: string, clientSecret: string): Promise<ClientOwner | null> {
  const row = await db('oauth_clients').where({ client_id: clientId }).whereNull('revoked_at').first('issuer_id', 'dci_sender_id', 'secret_hash');
  // Hash anyway for unknown clients, so timing does not reveal which client IDs exist.
  const ok = await secretMatches(clientSecret, row?.secret_hash ?? 'scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAA');
  if (!row || !ok) return null;
  return row.issuer_id ? { issuerId: row.issuer_id } : { dciSenderId: row.dci_sender_id };
}
