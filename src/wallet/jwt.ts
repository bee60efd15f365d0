import crypto from 'node:crypto';

/**
 * A compact JWS signed with node:crypto: synchronous and without a per-call key import, which
 * matters when every pass of a batch gets a save link. RS256 (Google service accounts) and ES256
 * (APNs token keys, in JOSE's raw r||s form).
 */
export function signJwt(key: crypto.KeyObject, alg: 'RS256' | 'ES256', claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ alg, typ: 'JWT', ...header })}.${part(claims)}`;
  const signature = crypto.sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}
