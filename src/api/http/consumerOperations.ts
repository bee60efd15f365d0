import { fieldIssues } from '../../domain/issues';
import express, { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { AuthError } from '../../auth/tokens';
import { IssuerPrincipal, verifyIssuerToken } from '../../auth/issuerTokens';
import type { Deps } from '../../deps';
import { withLogContext } from '../../logger';
import { DomainError } from '../../services/errors';
import { getOperation, listOperations, requestConsumerDeletion } from '../../jobs/consumerDeletion/service';
import {
  consumerIdSchema,
  correlationIdSchema,
  issuerIdSchema,
  OPERATION_STATUSES,
  operationIdSchema,
  REASON_CODES,
  reasonCodeSchema,
  reasonSchema,
  REQUESTOR_TYPES,
} from '../../services/consumers/schemas';
import { errorBodySchema, registerRoute } from '../openapi';
import { sendError } from './errors';

/**
 * Seed 001's consumer operations: delete an end user (cascading to accounts, cards and digital
 * cards), list and read the operations. Authorised by an issuer access token (POST /oauth/token)
 * for the issuer in the path; every log line of the request carries its x-correlation-id.
 */
declare module 'express-serve-static-core' {
  interface Request {
    issuer?: IssuerPrincipal;
    correlationId?: string;
  }
}

const consumerParams = z.object({ issuerId: issuerIdSchema, consumerId: consumerIdSchema });
const operationParams = consumerParams.extend({ operationId: operationIdSchema });
const headers = z.object({ 'x-correlation-id': correlationIdSchema.optional() });
const deleteBody = z.object({ reason: reasonSchema.optional(), reasonCode: reasonCodeSchema.optional() }).strict();
const listQuery = z.object({
  offset: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(0, 'must be 0 or more').default(0).describe('0 = the most recent operation'),
  limit: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(1, 'must be 1-50').max(50, 'must be 1-50').default(10),
});

const operation = z.object({
  operationId: z.string(),
  operation: z.enum(['DELETE']),
  status: z.enum(OPERATION_STATUSES),
  startTime: z.string(),
  endTime: z.string().optional(),
  requestorType: z.enum(REQUESTOR_TYPES),
  requestorId: z.string(),
  reason: z.string().optional(),
  reasonCode: z.enum(REASON_CODES).optional(),
  details: z.object({ accountsDeleted: z.number(), cardsDeleted: z.number(), digitalCardsDeleted: z.number() }).optional(),
  errorCode: z.string().optional(),
  error: z.string().max(256).optional(),
});
const errors = {
  400: { description: 'a parameter breaks the seed\'s rules; `field` names it', schema: errorBodySchema },
  401: { description: 'missing or invalid issuer access token', schema: errorBodySchema },
  403: { description: 'the token belongs to another issuer', schema: errorBodySchema },
};
const tags = ['Consumers (seed 001)'];
const BASE = '/issuers/:issuerId/consumers/:consumerId/operations';

registerRoute({
  method: 'post',
  path: `${BASE}\\:delete`,
  summary: 'Delete an end user (consumer): cascades to accounts, cards and digital cards (passes expired and forgotten)',
  description: 'Irreversible: the consumerId can never be registered or used again. Answers at once with the PENDING operation; a request while one is pending answers that operation.',
  tags,
  auth: 'bearer',
  schemas: {
    params: consumerParams,
    headers,
    body: deleteBody,
    responses: { 200: { description: 'the operation', schema: z.object({ operationId: z.string(), status: z.enum(OPERATION_STATUSES) }) }, ...errors, 404: { description: 'no such (active) consumer', schema: errorBodySchema } },
  },
});
registerRoute({
  method: 'get',
  path: BASE,
  summary: 'The operations of an end user, newest first (operations older than 3 months are removed)',
  tags,
  auth: 'bearer',
  schemas: { params: consumerParams, query: listQuery, headers, responses: { 200: { description: 'a page of operations', schema: z.object({ operations: z.array(operation), remainingOperations: z.number().int() }) }, ...errors } },
});
registerRoute({
  method: 'get',
  path: `${BASE}/:operationId`,
  summary: 'One operation of an end user',
  tags,
  auth: 'bearer',
  schemas: { params: operationParams, headers, responses: { 200: { description: 'the operation', schema: operation }, ...errors, 404: { description: 'no such operation', schema: errorBodySchema } } },
});

function unauthorized(res: Response, message: string): void {
  res.status(401).setHeader('WWW-Authenticate', `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`).json({ error: 'UNAUTHENTICATED', message });
}

/** x-correlation-id first (validated, then on every log line), then the issuer's token. */
function correlationAndIssuer(deps: Deps) {
  const opts = { issuer: deps.config.jwt.issuer, audience: deps.config.jwt.audience };
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const h = headers.safeParse({ 'x-correlation-id': req.header('x-correlation-id') });
    if (!h.success) return sendError(res, h.error, 'headers');
    req.correlationId = h.data['x-correlation-id'];
    if (req.correlationId) res.setHeader('x-correlation-id', req.correlationId);
    await withLogContext({ correlationId: req.correlationId }, async () => {
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
      if (!bearer) return unauthorized(res, 'an issuer access token is required: Authorization: Bearer <token from POST /oauth/token>');
      try {
        req.issuer = await verifyIssuerToken(deps.jwtKeys, bearer, opts);
      } catch (err) {
        if (err instanceof AuthError) return unauthorized(res, err.message);
        return next(err);
      }
      withLogContext({ issuerId: req.issuer.issuerId, clientId: req.issuer.clientId }, next);
    });
  };
}

/** Validates one part of the request; the first broken rule is a 400 naming the field (e.g. params.consumerId). */
function parseAt<T extends z.ZodType>(root: string, schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const [first] = fieldIssues(r.error.issues, root);
  throw new DomainError('BAD_USER_INPUT', first.message, first.field);
}

/** Parses the path (400 naming the field), then checks the token is the path's issuer's (403). */
function params<T extends z.ZodObject>(req: Request, schema: T): z.infer<T> {
  const p = parseAt('params', schema, req.params) as z.infer<T> & { issuerId: string };
  if (p.issuerId !== req.issuer!.issuerId) throw new DomainError('FORBIDDEN', 'the access token belongs to another issuer', 'issuerId');
  return p;
}

export function consumerOperationsRouter(deps: Deps): Router {
  const router = Router();
  const auth = correlationAndIssuer(deps);
  const handle = (fn: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await fn(req, res);
    } catch (err) {
      sendError(res, err);
    }
  };

  router.post(
    `${BASE}\\:delete`,
    auth,
    express.json({ limit: '16kb' }),
    handle(async (req, res) => {
      const p = params(req, consumerParams);
      const body = parseAt('body', deleteBody, req.body ?? {});
      const op = await requestConsumerDeletion(deps, {
        issuerId: p.issuerId,
        consumerId: p.consumerId,
        reason: body.reason,
        reasonCode: body.reasonCode,
        requestorType: 'ISSUER',
        requestorId: p.issuerId,
        correlationId: req.correlationId,
      });
      res.json(op);
    }),
  );
  router.get(
    BASE,
    auth,
    handle(async (req, res) => {
      const p = params(req, consumerParams);
      const q = parseAt('query', listQuery, req.query);
      res.json(await listOperations(deps.db, p.issuerId, p.consumerId, q.offset, q.limit));
    }),
  );
  router.get(
    `${BASE}/:operationId`,
    auth,
    handle(async (req, res) => {
      const p = params(req, operationParams);
      res.json(await getOperation(deps.db, p.issuerId, p.consumerId, p.operationId));
    }),
  );
  return router;
}
