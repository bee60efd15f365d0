import { GraphQLError } from 'graphql';
import { ZodError } from 'zod';
import { logger } from '../../logger';
import { DomainError } from '../../services/errors';
import { RETRY_AFTER_SECONDS, unavailableDependency, unavailableMessage } from '../../services/unavailable';

/** A request the caller must fix: names the field and the rule it broke. */
export function badInput(field: string, rule: string): GraphQLError {
  return new GraphQLError(`${field}: ${rule}`, { extensions: { code: 'BAD_USER_INPUT', field } });
}

/** Turns the first issues of a zod validation into one GraphQL error naming each field. */
export function fromZod(error: ZodError, root = 'input'): GraphQLError {
  const issues = error.issues.map((i) => ({ field: [root, ...i.path].join('.'), message: i.message }));
  return new GraphQLError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), {
    extensions: { code: 'BAD_USER_INPUT', field: issues[0]?.field, issues },
  });
}

export function notFound(what: string): GraphQLError {
  return new GraphQLError(`${what} not found`, { extensions: { code: 'NOT_FOUND' } });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

export function notImplemented(field: string): GraphQLError {
  return new GraphQLError(`${field} is not implemented yet in this Steward version`, {
    extensions: { code: 'NOT_IMPLEMENTED' },
  });
}

/** Maps what a resolver threw to what the client sees; unexpected errors are logged and masked. */
export function toGraphQLError(err: unknown): GraphQLError {
  if (err instanceof GraphQLError) return err;
  if (err instanceof DomainError) {
    return new GraphQLError(err.message, { extensions: { code: err.code, ...(err.field ? { field: err.field } : {}) } });
  }
  if (err instanceof ZodError) return fromZod(err);
  const down = unavailableDependency(err);
  if (down) {
    logger.warn({ err, dependency: down }, 'resolver failed: dependency unavailable');
    return new GraphQLError(unavailableMessage(down), { extensions: { code: 'SERVICE_UNAVAILABLE', dependency: down, retryAfter: RETRY_AFTER_SECONDS } });
  }
  logger.error({ err }, 'resolver failed');
  return new GraphQLError('internal error: the request could not be completed', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
