import type { Db } from '../../db/knex';
import type { RegistryKey } from '../../domain/dci/registries';
import { checkCallbackUrl } from '../callbacks/addressGuard';

/**
 * Steward calling another DCI party (callbacks to a subscriber, requests to a registry it
 * subscribes to) needs that party's bearer token: OAuth 2.0 client credentials the party issued
 * to the calling registry of ours, exchanged at the party's token URL. Tokens are cached until
 * 30 s before they expire. A party without stored credentials is called without a token.
 */
export interface PeerCredentials {
  peerId: string;
  registry: RegistryKey;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

export class PeerTokenError extends Error {}

const cache = new Map<string, { token: string; until: number }>();
const cacheKey = (c: Pick<PeerCredentials, 'peerId' | 'registry' | 'tokenUrl' | 'clientId'>) => JSON.stringify([c.peerId, c.registry, c.tokenUrl, c.clientId]);

export async function savePeerCredentials(db: Db, c: PeerCredentials): Promise<void> {
  await db('dci_peer_tokens')
    .insert({ peer_id: c.peerId, registry: c.registry, token_url: c.tokenUrl, client_id: c.clientId, client_secret: c.clientSecret })
    .onConflict(['peer_id', 'registry'])
    .merge(['token_url', 'client_id', 'client_secret', 'updated_at']);
}

export async function peerCredentials(db: Db, peerId: string, registry: RegistryKey): Promise<PeerCredentials | undefined> {
  const row = await db('dci_peer_tokens').where({ peer_id: peerId, registry }).first();
  return row ? { peerId, registry, tokenUrl: row.token_url, clientId: row.client_id, clientSecret: row.client_secret } : undefined;
}

/** POST <token_url> grant_type=client_credentials (RFC 6749 §4.4); the address passes the SSRF guard. */
export async function fetchToken(c: Omit<PeerCredentials, 'peerId' | 'registry'>, allowPrivate: boolean): Promise<{ token: string; expiresIn: number }> {
  const url = checkCallbackUrl(c.tokenUrl, allowPrivate);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      redirect: 'error',
      signal: AbortSignal.timeout(15_000),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }),
    });
  } catch (err) {
    throw new PeerTokenError(`token request to ${c.tokenUrl} failed: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new PeerTokenError(`token request to ${c.tokenUrl} answered HTTP ${res.status}${body.error ? ` ${body.error}: ${body.error_description ?? ''}` : ''}`);
  }
  return { token: body.access_token, expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 300 };
}

/** A bearer token to call `peerId` as our `registry`; undefined when no credentials are stored for it. */
export async function peerToken(db: Db, peerId: string, registry: RegistryKey, allowPrivate: boolean): Promise<string | undefined> {
  const c = await peerCredentials(db, peerId, registry);
  if (!c) return undefined;
  const key = cacheKey(c);
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.token;
  const { token, expiresIn } = await fetchToken(c, allowPrivate);
  cache.set(key, { token, until: Date.now() + Math.max(0, expiresIn - 30) * 1000 });
  return token;
}
