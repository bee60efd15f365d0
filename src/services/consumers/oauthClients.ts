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

/** An OAuth 2.0 client of an issuer (client credentials grant). The secret is returned once; only its hash is kept. */
export async function createOAuthClient(db: Db, issuerId: string): Promise<{ clientId: string; clientSecret: string }> {
  const issuer = await db('issuers').where({ id: issuerId }).first('id');
  if (!issuer) throw new DomainError('NOT_FOUND', `no issuer ${issuerId}`, 'issuer');
  const clientId = `cli_${crypto.randomBytes(12).toString('base64url')}`;
  const clientSecret = crypto.randomBytes(32).toString('base64url');
  await db('oauth_clients').insert({ client_id: clientId, issuer_id: issuerId, secret_hash: await hashSecret(clientSecret) });
  return { clientId, clientSecret };
}

/** The issuer of a client whose credentials are right; null otherwise (unknown, revoked or wrong secret). */
export async function authenticateClient(db: Db, clientId: string, clientSecret: string): Promise<string | null> {
  const row = await db('oauth_clients').where({ client_id: clientId }).whereNull('revoked_at').first('issuer_id', 'secret_hash');
  // Hash anyway for unknown clients, so timing does not reveal which client IDs exist.
  const ok = await secretMatches(clientSecret, row?.secret_hash ?? 'scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAA');
  return row && ok ? row.issuer_id : null;
}
