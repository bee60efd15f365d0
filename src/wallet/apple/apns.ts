import crypto from 'node:crypto';
import http2 from 'node:http2';
import type { Config } from '../../config';
import { logger } from '../../logger';
import { devWalletCredentials } from '../devCredentials';
import { signJwt } from '../jwt';
import { configError, textOrFile } from '../pem';
import { DEV_TEAM_ID } from './signing';
import { checkCallbackUrl, guardedLookup } from '../../services/callbacks/addressGuard';

/**
 * APNs over HTTP/2 with token authentication, for Wallet pass updates: one TLS session multiplexing
 * many streams, `POST /3/device/<push token>` with `apns-topic` = the pass type identifier and an
 * empty JSON payload. The provider token (ES256 JWT: `iss` team, `kid` key ID) is reused for
 * 50 minutes: Apple refuses tokens older than an hour and throttles fresher ones.
 */
export interface ApnsOptions {
  url: string;
  key: crypto.KeyObject;
  keyId: string;
  teamId: string;
  /** Extra CAs to trust (APNS_CA); Node's default roots otherwise. */
  ca?: string;
  /** CALLBACK_ALLOW_PRIVATE: whether APNS_URL may resolve to a private or loopback address (tests). */
  allowPrivate: boolean;
}

export interface ApnsResult {
  status: number;
  reason?: string;
}

export const APNS_PRODUCTION_URL = 'https://api.push.apple.com';
const TOKEN_TTL_MS = 50 * 60 * 1000;
const ATTEMPTS = 4;

/** Whether the answer may succeed if sent again (Apple: 429 TooManyRequests, 5xx; and network errors). */
const retryable = (r: ApnsResult) => r.status === 0 || r.status === 429 || r.status >= 500;

/**
 * APNs options from the configuration, or undefined when pushes are off: without APNS_KEY and
 * without APNS_URL nothing is sent (development must not call Apple with a key Apple never issued).
 * Development with APNS_URL set uses the generated key.
 */
export function apnsOptions(config: Config): ApnsOptions | undefined {
  const a = config.wallet.apns;
  const ca = a.ca ? textOrFile('APNS_CA', a.ca, 'PEM') : undefined;
  if (!a.key) {
    if (!a.url || config.env === 'production') return undefined;
    const dev = devWalletCredentials(config.dataDir, config.wallet.applePassTypeIdPrefix, DEV_TEAM_ID);
    return { url: a.url, key: crypto.createPrivateKey(dev.apnsKeyPem), keyId: dev.apnsKeyId, teamId: a.teamId ?? DEV_TEAM_ID, ca, allowPrivate: config.callbackAllowPrivate };
  }
  if (!a.keyId) throw configError('APNS_KEY_ID', 'is required with APNS_KEY (the 10-character key ID Apple shows for the key)');
  if (!a.teamId) throw configError('APNS_TEAM_ID', 'is required with APNS_KEY');
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(textOrFile('APNS_KEY', a.key, 'PEM'));
  } catch (err) {
    if ((err as Error).name === 'ConfigError') throw err;
    throw configError('APNS_KEY', `is not a PEM private key (the .p8 file Apple issued): ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec') throw configError('APNS_KEY', 'must be an EC P-256 key (the .p8 file Apple issued)');
  return { url: a.url ?? APNS_PRODUCTION_URL, key, keyId: a.keyId, teamId: a.teamId, ca, allowPrivate: config.callbackAllowPrivate };
}

export class ApnsClient {
  private session: http2.ClientHttp2Session | undefined;
  private token: { value: string; at: number } | undefined;

  constructor(private readonly opts: ApnsOptions) {}

  providerToken(now = Date.now()): string {
    if (!this.token || now - this.token.at > TOKEN_TTL_MS) {
      this.token = { value: signJwt(this.opts.key, 'ES256', { iss: this.opts.teamId, iat: Math.floor(now / 1000) }, { kid: this.opts.keyId }), at: now };
    }
    return this.token.value;
  }

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    checkCallbackUrl(this.opts.url, this.opts.allowPrivate);
    const session = http2.connect(this.opts.url, { ...(this.opts.ca ? { ca: this.opts.ca } : {}), lookup: guardedLookup(this.opts.allowPrivate) });
    session.on('error', (err) => logger.warn({ err: err.message, url: this.opts.url }, 'APNs connection error'));
    session.on('goaway', () => session.close());
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.unref(); // an idle connection never keeps a process alive
    this.session = session;
    return session;
  }

  private once(pushToken: string, topic: string): Promise<ApnsResult> {
    return new Promise((resolve) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = this.connect().request({
          ':method': 'POST',
          ':path': `/3/device/${encodeURIComponent(pushToken)}`,
          authorization: `bearer ${this.providerToken()}`,
          'apns-topic': topic,
          'apns-push-type': 'background',
          'apns-priority': '5',
          'content-type': 'application/json',
        });
      } catch (err) {
        resolve({ status: 0, reason: (err as Error).message });
        return;
      }
      let status = 0;
      const chunks: Buffer[] = [];
      req.setTimeout(15_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
      req.on('response', (headers) => (status = Number(headers[':status'])));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (err) => resolve({ status: 0, reason: err.message }));
      req.on('close', () => {
        let reason: string | undefined;
        try {
          reason = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()).reason : undefined;
        } catch {
          reason = Buffer.concat(chunks).toString().slice(0, 200);
        }
        resolve({ status: status || 0, reason: status ? reason : (reason ?? 'stream closed without a response') });
      });
      req.end('{}');
    });
  }

  /**
   * Sends one update notification. 200: sent; 410: the device no longer has the pass (the caller
   * removes the registration); 429, 5xx and network errors are retried here with exponential
   * backoff (0.25 s, 0.5 s, 1 s); an expired provider token is renewed once.
   */
  async push(pushToken: string, topic: string): Promise<ApnsResult> {
    let result: ApnsResult = { status: 0 };
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
      result = await this.once(pushToken, topic);
      if (result.status === 403 && result.reason === 'ExpiredProviderToken') {
        this.token = undefined;
        continue;
      }
      if (!retryable(result)) return result;
    }
    return result;
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
