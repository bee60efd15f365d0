import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { logger, withLogContext } from '../../logger';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
  }
}

/**
 * Gives every request an ID (the caller's X-Request-Id when well-formed), echoes it back, binds it
 * to every log line written while serving the request, and logs one access line at the end.
 */
export function requestContext(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-request-id');
  req.requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  res.setHeader('X-Request-Id', req.requestId);
  const started = process.hrtime.bigint();
  withLogContext({ requestId: req.requestId }, () => {
    res.on('finish', () => {
      logger.info(
        { method: req.method, path: req.originalUrl.split('?')[0], status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });
    next();
  });
}
