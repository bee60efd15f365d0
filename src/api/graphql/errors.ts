import { GraphQLError } from 'graphql';
import { ZodError } from 'zod';
import { logger } from '../../logger';
import { DomainError, invalid } from '../../services/errors';
import { RETRY_AFTER_SECONDS, unavailableDependency, unavailableMessage } from '../../services/unavailable';

export function notImplemented(field: string): GraphQLError {
  return new GraphQLError(`${field} is not implemented yet in this Steward version`, {
    extensions: { code: 'NOT_IMPLEMENTED' },
  });
}

/**
 * GraphQL edge: renders what a resolver threw. A DomainError (a ZodError is one, under `input`)
 * becomes an error whose extensions carry its code, field and issues; unexpected errors are logged and masked.
 */
export function toGraphQLError(err: unknown): GraphQLError {
  if (err instanceof GraphQLError) return err;
  const e = err instanceof ZodError ? invalid(err, 'input') : err;
  if (e instanceof DomainError) {
    return new GraphQLError(e.message, { extensions: { code: e.code, ...e.details } });
  }
  const down = unavailableDependency(err);
  if (down) {
    logger.warn({ err, dependency: down }, 'resolver failed: dependency unavailable');
    return new GraphQLError(unavailableMessage(down), { extensions: { code: 'SERVICE_UNAVAILABLE', dependency: down, retryAfter: RETRY_AFTER_SECONDS } });
  }
  logger.error({ err }, 'resolver failed');
  return new GraphQLError('internal error: the request could not be completed', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
