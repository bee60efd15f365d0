import type { Request, RequestHandler, Response } from 'express';
import type { ExecutionResult } from 'graphql';
import { RETRY_AFTER_SECONDS } from '../../services/unavailable';

/**
 * graphql-http answers 200 whatever a resolver threw. An operation that failed because PostgreSQL
 * or Temporal is down (extensions.code SERVICE_UNAVAILABLE, see errors.ts) answers 503 with
 * Retry-After instead, so clients and load balancers see the outage for what it is.
 */
export function markUnavailable(req: { raw: Request }, _args: unknown, result: ExecutionResult | AsyncIterable<unknown>): void {
  const errors = (result as ExecutionResult).errors;
  if (errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) req.raw.res!.locals.serviceUnavailable = true;
}

export function withUnavailableStatus(handler: RequestHandler): RequestHandler {
  return (req, res: Response, next) => {
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
    (res as unknown as { writeHead: unknown }).writeHead = (status: number, ...rest: unknown[]) => {
      if (!res.locals.serviceUnavailable || status !== 200) return writeHead(status, ...rest);
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return writeHead(503, 'Service Unavailable', ...rest.filter((r) => typeof r !== 'string'));
    };
    handler(req, res, next);
  };
}
