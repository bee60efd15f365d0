import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { formatIssues } from '../domain/issues';
import { DomainError } from '../services/errors';
import type { JwtKeys } from './keys';

export const ROLES = ['Owner', 'Admin', 'Pass-Issuer', 'Api-Dev'] as const;
export type Role = (typeof ROLES)[number];

/** Claims of an organisation user's token: who they are and which organisation they act for. */
export const userClaimsSchema = z.object({
  org: z.string().min(1, 'org claim is required'),
  email: z.string().email('email claim must be an email address'),
  roles: z.array(z.enum(ROLES)).min(1, 'roles claim needs at least one role'),
});

export type Principal = z.infer<typeof userClaimsSchema>;

/** A token that does not authenticate: a DomainError (UNAUTHENTICATED, 401) whose reason each edge words. */
export class AuthError extends DomainError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

export interface TokenOptions {
  issuer: string;
  audience: string;
  expiresIn?: string;
}

export async function signUserToken(keys: JwtKeys, claims: Principal, opts: TokenOptions): Promise<string> {
  if (!keys.sign) throw new AuthError('no signing key is configured (JWT_SECRET or JWT_PRIVATE_KEY)');
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: keys.alg })
    .setSubject(claims.email)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '30d')
    .sign(keys.sign);
}

/** Verifies signature, issuer, audience and expiry, then the claim shapes. Throws AuthError with a reason. */
export async function verifyUserToken(keys: JwtKeys, token: string, opts: TokenOptions): Promise<Principal> {
  let payload: unknown;
  try {
    const verifyKey = keys.verify as Parameters<typeof jwtVerify>[1];
    ({ payload } = await jwtVerify(token, verifyKey, {
      issuer: opts.issuer,
      audience: opts.audience,
      algorithms: [keys.alg],
      // A token without exp would never expire.
      requiredClaims: ['exp'],
    }));
  } catch (err) {
    throw new AuthError(describeJoseError(err));
  }
  const claims = userClaimsSchema.safeParse(payload);
  if (!claims.success) {
    throw new AuthError(`token claims are invalid: ${formatIssues(claims.error.issues)}`);
  }
  return claims.data;
}

export function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return err.reason === 'missing' ? `token claim "${err.claim}" is required` : `token claim "${err.claim}" is invalid: ${err.reason}`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'token is malformed';
  return 'token could not be verified';
}
