import type { Response } from 'express';
import { ZodError } from 'zod';
import { logger } from '../../logger';
import { DomainError } from '../../services/errors';
import { RETRY_AFTER_SECONDS, unavailableDependency, unavailableMessage } from '../../services/unavailable';

const STATUS: Record<DomainError['code'], number> = { BAD_USER_INPUT: 400, NOT_FOUND: 404, CONFLICT: 409, FORBIDDEN: 403, UNAUTHENTICATED: 401 };

/** REST edge: renders what a handler threw as JSON naming the field; unexpected errors are logged and masked. */
export function sendError(res: Response, err: unknown, root = ''): void {
  if (err instanceof DomainError) {
    res.status(STATUS[err.code]).json({ error: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) });
    return;
  }
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ field: [root, ...i.path].filter((p) => p !== '').map(String).join('.'), message: i.message }));
    res.status(400).json({ error: 'BAD_USER_INPUT', message: issues.map((i) => `${i.field}: ${i.message}`).join('; '), field: issues[0]?.field, issues });
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
