import type { NextFunction, Request, Response } from 'express';
import { verifyDciSenderToken } from '../../auth/issuerTokens';
import { AuthError } from '../../auth/tokens';
import type { Deps } from '../../deps';
import { logger } from '../../logger';
import { ack } from '../../services/dci/messages';

declare module 'express-serve-static-core' {
  interface Request {
    /** The DCI sender a valid bearer token was issued to. */
    dciSender?: string;
  }
}

/**
 * The standard's `security: Authorization` (bearer JWT) on every DCI path: a token from POST
 * /oauth/token with a DCI sender's client credentials. Missing, malformed, expired or foreign
 * tokens get HTTP 401 in the standard's error shape (`errors: [{code, message}]`, with the ERR
 * acknowledgement alongside); whether the token's sender is header.sender_id is checked with the
 * header (inbox.ts).
 */
export function requireDciToken(deps: Deps) {
  const opts = { issuer: deps.config.jwt.issuer, audience: deps.config.jwt.audience };
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const refuse = (message: string) => {
      logger.info({ path: req.path, reason: message }, 'DCI request refused: bearer token');
      res
        .status(401)
        .setHeader('WWW-Authenticate', `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`)
        .json(ack('ERR', undefined, { code: 'err.request.unauthorized', message }));
    };
    const header = req.header('authorization');
    if (!header) return refuse('Authorization: Bearer <token> is required (POST /oauth/token with the client credentials of your sender_id)');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return refuse('Authorization header must be "Bearer <token>"');
    try {
      req.dciSender = (await verifyDciSenderToken(deps.jwtKeys, match[1], opts)).senderId;
    } catch (err) {
      if (err instanceof AuthError) return refuse(`invalid token: ${err.message}`);
      return next(err);
    }
    next();
  };
}
