import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { JwtKeys } from './keys';
import { AuthError, TokenOptions } from './tokens';

/**
 * Access tokens of card issuers' backends (seed 001), issued by POST /oauth/token (client
 * credentials). They name the issuer and the OAuth client; `token_use` keeps them apart from
 * organisation users' tokens, which /query requires.
 */
export const ISSUER_TOKEN_TTL_SECONDS = 3600;

const issuerClaims = z.object({
  token_use: z.literal('client_credentials'),
  issuer_id: z.string().length(10),
  client_id: z.string().min(1),
});

export interface IssuerPrincipal {
  issuerId: string;
  clientId: string;
}

export async function signIssuerToken(keys: JwtKeys, p: IssuerPrincipal, opts: TokenOptions): Promise<string> {
  if (!keys.sign) throw new AuthError('no signing key is configured (JWT_SECRET or JWT_PRIVATE_KEY)');
  return new SignJWT({ token_use: 'client_credentials', issuer_id: p.issuerId, client_id: p.clientId })
    .setProtectedHeader({ alg: keys.alg })
    .setSubject(p.clientId)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt()
    .setExpirationTime(`${ISSUER_TOKEN_TTL_SECONDS}s`)
    .sign(keys.sign);
}

export async function verifyIssuerToken(keys: JwtKeys, token: string, opts: TokenOptions): Promise<IssuerPrincipal> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, keys.verify as Parameters<typeof jwtVerify>[1], { issuer: opts.issuer, audience: opts.audience, algorithms: [keys.alg], requiredClaims: ['exp'] }));
  } catch {
    throw new AuthError('token is invalid or expired');
  }
  const claims = issuerClaims.safeParse(payload);
  if (!claims.success) throw new AuthError('not an issuer access token (get one from POST /oauth/token)');
  return { issuerId: claims.data.issuer_id, clientId: claims.data.client_id };
}
