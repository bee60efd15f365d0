import type { Response } from 'express';
import { ZodError } from 'zod';
import { logger } from '../../logger';
import { DomainError, invalid } from '../../services/errors';
import { RETRY_AFTER_SECONDS, unavailableDependency, unavailableMessage } from '../../services/unavailable';

/**
 * REST edge: renders a DomainError (a ZodError is one: every field under `root`) as its status and
 * `{ error, message, field?, issues? }`; unexpected errors are logged and masked.
 */
export function sendError(res: Response, err: unknown, root = ''): void {
  const e = err instanceof ZodError ? invalid(err, root) : err;
  if (e instanceof DomainError) {
    res.status(e.status).json({ error: e.code, message: e.message, ...e.details });
    return;
  }
  const down = unavailableDependency(err);
  if (down) {
    logger.warn({ err, dependency: down }, 'request failed: dependency unavailable');
    res.status(503).setHeader('Retry-After', String(RETRY_AFTER_SECONDS)).json({ error: 'SERVICE_UNAVAILABLE', message: unavailableMessage(down) });
    return;
  }
  logger.error({ err }, 'request failed');
  res.status(500).json({ error: 'INTERNAL_SERVER_ERROR', message: 'the request could not be completed' });
}
