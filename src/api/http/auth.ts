import type { NextFunction, Request, Response } from 'express';
import { authorize } from '../../auth/permissions';
import { AuthError, Principal, verifyUserToken } from '../../auth/tokens';
import { DomainError } from '../../services/errors';
import type { Deps } from '../../deps';
import { withLogContext } from '../../logger';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** 401 in the GraphQL error shape, so GraphQL clients show the reason. */
function unauthorized(res: Response, message: string): void {
  res
    .status(401)
    .setHeader('WWW-Authenticate', `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`)
    .json({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
}

/** Requires `Authorization: Bearer <JWT>` of an organisation user; binds org and user to the logs. */
export function requireUser(deps: Deps) {
  const opts = { issuer: deps.config.jwt.issuer, audience: deps.config.jwt.audience };
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.header('authorization');
    if (!header) return unauthorized(res, 'missing Authorization header: send "Authorization: Bearer <token>"');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return unauthorized(res, 'Authorization header must be "Bearer <token>"');
    try {
      req.principal = await verifyUserToken(deps.jwtKeys, match[1], opts);
    } catch (err) {
      if (err instanceof AuthError) return unauthorized(res, `invalid token: ${err.message}`);
      return next(err);
    }
    withLogContext({ organisationId: req.principal.org, user: req.principal.email }, next);
  };
}

/** After requireUser: 403 unless the caller's roles allow `operation` (the permission table). */
export function requirePermission(operation: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      authorize(req.principal, operation);
    } catch (err) {
      if (!(err instanceof DomainError)) return next(err);
      res.status(403).json({ error: err.code, message: err.message });
      return;
    }
    next();
  };
}
