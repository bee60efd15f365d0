import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { JwtKeys } from './keys';
import { AuthError, describeJoseError, TokenOptions } from './tokens';

/**
 * Client-credentials access tokens, issued by POST /oauth/token (the one token mechanism): for
 * card issuers' backends (seed 001) and for registered DCI senders (seeds 002/004). They name the
 * OAuth client and its owner, either `issuer_id` or `dci_sender_id`; `token_use` keeps them apart
 * from organisation users' tokens, which /query requires.
 */
export const ISSUER_TOKEN_TTL_SECONDS = 3600;
/** DCI tokens are short-lived: the standard's "token api" is called before each exchange. */
export const DCI_TOKEN_TTL_SECONDS = 300;

const issuerClaims = z.object({
  token_use: z.literal('client_credentials'),
  issuer_id: z.string().length(10),
  client_id: z.string().min(1),
});

const dciSenderClaims = z.object({
  token_use: z.literal('client_credentials'),
  dci_sender_id: z.string().min(1),
  client_id: z.string().min(1),
});

export interface IssuerPrincipal {
  issuerId: string;
  clientId: string;
}

export interface DciSenderPrincipal {
  senderId: string;
  clientId: string;
}

async function signClientToken(keys: JwtKeys, claims: Record<string, string>, clientId: string, expiresAt: number, opts: TokenOptions): Promise<string> {
  if (!keys.sign) throw new AuthError('no signing key is configured (JWT_SECRET or JWT_PRIVATE_KEY)');
  return new SignJWT({ token_use: 'client_credentials', client_id: clientId, ...claims })
    .setProtectedHeader({ alg: keys.alg })
    .setSubject(clientId)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(keys.sign);
}

const inSeconds = (ttl: number) => Math.floor(Date.now() / 1000) + ttl;

export async function signIssuerToken(keys: JwtKeys, p: IssuerPrincipal, opts: TokenOptions): Promise<string> {
  return signClientToken(keys, { issuer_id: p.issuerId }, p.clientId, inSeconds(ISSUER_TOKEN_TTL_SECONDS), opts);
}

/** `expiresAt` (unix seconds) only for tests of expired tokens. */
export async function signDciSenderToken(keys: JwtKeys, p: DciSenderPrincipal, opts: TokenOptions, expiresAt = inSeconds(DCI_TOKEN_TTL_SECONDS)): Promise<string> {
  return signClientToken(keys, { dci_sender_id: p.senderId }, p.clientId, expiresAt, opts);
}

async function verifiedPayload(keys: JwtKeys, token: string, opts: TokenOptions): Promise<unknown> {
  try {
    const { payload } = await jwtVerify(token, keys.verify as Parameters<typeof jwtVerify>[1], { issuer: opts.issuer, audience: opts.audience, algorithms: [keys.alg], requiredClaims: ['exp'] });
    return payload;
  } catch (err) {
    throw new AuthError(describeJoseError(err));
  }
}

export async function verifyIssuerToken(keys: JwtKeys, token: string, opts: TokenOptions): Promise<IssuerPrincipal> {
  let payload: unknown;
  try {
    payload = await verifiedPayload(keys, token, opts);
  } catch {
    throw new AuthError('token is invalid or expired');
  }
  const claims = issuerClaims.safeParse(payload);
  if (!claims.success) throw new AuthError('not an issuer access token (get one from POST /oauth/token)');
  return { issuerId: claims.data.issuer_id, clientId: claims.data.client_id };
}

/** A DCI sender's token; AuthError says why not (expired, bad signature, another kind of token). */
export async function verifyDciSenderToken(keys: JwtKeys, token: string, opts: TokenOptions): Promise<DciSenderPrincipal> {
  const claims = dciSenderClaims.safeParse(await verifiedPayload(keys, token, opts));
  if (!claims.success) throw new AuthError('not a DCI sender access token (get one from POST /oauth/token with the client credentials of `admin dci sender add`)');
  return { senderId: claims.data.dci_sender_id, clientId: claims.data.client_id };
}
