import crypto from 'node:crypto';
import type { Config } from '../../config';
import { secretOrDevFile } from '../../secrets';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Claim tokens and one-time-code hashes. Both keys are derived (HKDF) from PASS_LINK_KEY with
 * their own labels, so no new secret needs configuring and neither key can stand in for another.
 * A claim token is `<requestId>.<HMAC(requestId)>`: nothing to store, and a resend can rebuild it.
 */
export class ClaimSecrets {
  private readonly tokenKey: Buffer;
  private readonly codeKey: Buffer;

  constructor(private readonly config: Config) {
    const root = secretOrDevFile(config.passLinkKey, config.dataDir, 'pass-link-key');
    this.tokenKey = Buffer.from(crypto.hkdfSync('sha256', root, Buffer.alloc(0), 'steward async-issuance claim token', 32));
    this.codeKey = Buffer.from(crypto.hkdfSync('sha256', root, Buffer.alloc(0), 'steward async-issuance one-time code', 32));
  }

  claimToken(requestId: string): string {
    return `${requestId}.${crypto.createHmac('sha256', this.tokenKey).update(requestId).digest('base64url')}`;
  }

  claimUrl(requestId: string): string {
    return `${this.config.publicBaseUrl}/claim?token=${encodeURIComponent(this.claimToken(requestId))}`;
  }

  /** The request ID a genuine token names, or null for anything else. */
  openClaimToken(token: string): string | null {
    const dot = token.indexOf('.');
    const requestId = token.slice(0, dot);
    if (dot < 0 || !UUID.test(requestId)) return null;
    const expected = Buffer.from(this.claimToken(requestId));
    const given = Buffer.from(token);
    return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? requestId : null;
  }

  /** A fresh 6-digit code. */
  newCode(): string {
    return String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
  }

  /** Bound to the request, so a hash is useless for any other request. */
  hashCode(requestId: string, code: string): string {
    return crypto.createHmac('sha256', this.codeKey).update(`${requestId}:${code}`).digest('base64url');
  }

  codeMatches(requestId: string, code: string, storedHash: string): boolean {
    const a = Buffer.from(this.hashCode(requestId, code));
    const b = Buffer.from(storedHash);
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  }
}
