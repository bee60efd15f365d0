import type { Config } from '../../config';
import { GoogleServiceAccount, googleServiceAccount, signAsServiceAccount } from './serviceAccount';
import { assertPublicDestination } from '../../services/callbacks/addressGuard';

/**
 * The Google Wallet REST API, for updating objects after a pass changes:
 * `PATCH <GOOGLE_WALLET_API_URL>/genericObject/<objectId>` with an OAuth 2.0 access token obtained
 * from the service account (JWT bearer grant, RFC 7523, at GOOGLE_OAUTH_TOKEN_URL or the key's
 * `token_uri`), cached until a minute before it expires.
 */
export const GOOGLE_WALLET_API_URL = 'https://walletobjects.googleapis.com/walletobjects/v1';
const SCOPE = 'https://www.googleapis.com/auth/wallet_object.issuer';
const ATTEMPTS = 4;

export interface GoogleApiOptions {
  account: GoogleServiceAccount;
  apiUrl: string;
  tokenUrl: string;
  /** CALLBACK_ALLOW_PRIVATE: whether the endpoints may resolve to private or loopback addresses (tests). */
  allowPrivate: boolean;
}

/**
 * Undefined when Google updates are off: no service account configured and no GOOGLE_WALLET_API_URL
 * (development never calls Google with its generated key unless pointed at a server).
 */
export function googleApiOptions(config: Config): GoogleApiOptions | undefined {
  const g = config.wallet.google;
  if (!g.serviceAccount && !g.apiUrl) return undefined;
  const account = googleServiceAccount(config);
  if (!account) return undefined;
  return { account, apiUrl: (g.apiUrl ?? GOOGLE_WALLET_API_URL).replace(/\/$/, ''), tokenUrl: g.tokenUrl ?? account.tokenUri, allowPrivate: config.callbackAllowPrivate };
}

export class GoogleWalletApi {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(private readonly opts: GoogleApiOptions) {}

  get issuerId(): string {
    return this.opts.account.issuerId;
  }

  private async fetchToken(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const assertion = signAsServiceAccount(this.opts.account, { iss: this.opts.account.clientEmail, scope: SCOPE, aud: this.opts.tokenUrl, iat: now, exp: now + 3600 });
    await assertPublicDestination(this.opts.tokenUrl, this.opts.allowPrivate);
    const res = await fetch(this.opts.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || !body.access_token) throw new Error(`Google OAuth token request failed: ${res.status} ${body.error ?? ''}`.trim());
    this.token = { value: body.access_token, expiresAt: Date.now() + ((body.expires_in ?? 3600) - 60) * 1000 };
    return body.access_token;
  }

  /** One token request at a time, however many PATCHes wait for it. */
  private accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return Promise.resolve(this.token.value);
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /**
   * PATCHes a generic object. 404 (the user never saved it) counts as done; a 401 renews the token
   * once; 429, 5xx and network errors are retried with exponential backoff. Returns the last status.
   */
  async patchObject(objectId: string, body: Record<string, unknown>): Promise<{ status: number; error?: string }> {
    let last: { status: number; error?: string } = { status: 0 };
    try {
      await assertPublicDestination(this.opts.apiUrl, this.opts.allowPrivate);
    } catch (err) {
      return { status: 0, error: (err as Error).message };
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
      try {
        const res = await fetch(`${this.opts.apiUrl}/genericObject/${encodeURIComponent(objectId)}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${await this.accessToken()}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        last = { status: res.status };
        if (res.status === 401) this.token = undefined;
        else if (res.status !== 429 && res.status < 500) return last;
      } catch (err) {
        last = { status: 0, error: (err as Error).message };
      }
    }
    return last;
  }
}
