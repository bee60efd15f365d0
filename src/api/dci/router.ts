import express, { NextFunction, Request, Response } from 'express';
import type { Deps } from '../../deps';
import { isRegistryKey, RegistryKey } from '../../domain/dci/registries';
import { logger } from '../../logger';
import { sendError } from '../http/errors';
import { DomainError, ErrorCode } from '../../services/errors';
import { acceptAsync, DciAction, DciRejection, receive } from '../../services/dci/inbox';
import { dciKeys, publicJwks } from '../../services/dci/keys';
import { ack, ErrorCode as DciErrorCode } from '../../services/dci/messages';
import { createRecord, getRecord, updateRecord } from '../../services/dci/records';
import { syncSearch } from '../../services/dci/searchRequests';
import { syncTxnStatus } from '../../services/dci/txnStatus';
import { requireAdminToken } from './adminAuth';
import type { TooManyResponder } from '../http/rateLimits';

/**
 * The DCI registries over HTTP: each registry's endpoints under /dci/<dr|fr>/registry/..., Steward's
 * public keys at /.well-known/jwks.json, and the records admin API under /dci/admin. DCI endpoints
 * authenticate by message signature, not by user tokens.
 */
type Handler = (registry: RegistryKey, body: unknown) => Promise<{ status: number; body: unknown }>;

/** The DCI code of a refusal that is not a DciRejection (a use case's DomainError). */
const DCI_CODE: Record<ErrorCode, DciErrorCode> = {
  BAD_USER_INPUT: 'err.request.bad',
  UNAUTHENTICATED: 'err.request.unauthorized',
  FORBIDDEN: 'err.request.forbidden',
  NOT_FOUND: 'err.request.not_found',
  CONFLICT: 'err.request.bad',
  SERVICE_UNAVAILABLE: 'err.service.unavailable',
};

/** DCI edge: a DomainError is an ERR acknowledgement with its DCI code and HTTP status; the unexpected is logged and masked. */
function reply(res: Response, err: unknown): void {
  if (err instanceof DomainError) {
    const code = err instanceof DciRejection ? err.dciCode : DCI_CODE[err.code];
    logger.info({ code, reason: err.message }, 'DCI request refused');
    res.status(err.status).json(ack('ERR', undefined, { code, message: err.message }));
    return;
  }
  logger.error({ err }, 'DCI request failed');
  res.status(500).json(ack('ERR', undefined, { code: 'err.service.unavailable', message: 'the registry could not process the message' }));
}

function endpoint(handler: Handler, registries: readonly RegistryKey[] = ['dr', 'fr']) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const registry = String(req.params.registry);
    if (!isRegistryKey(registry) || !registries.includes(registry)) return next();
    try {
      const out = await handler(registry, req.body);
      res.status(out.status).json(out.body);
    } catch (err) {
      reply(res, err);
    }
  };
}

const asyncAction = (deps: Deps, action: DciAction): Handler => async (registry, body) => {
  const received = await receive(deps, registry, action, body, { callback: true });
  return { status: 200, body: ack('ACK', await acceptAsync(deps, received)) };
};

/** A rate-limit refusal as the standard's ERR acknowledgement. */
export const dciTooMany: TooManyResponder = (res, message) => {
  res.json(ack('ERR', undefined, { code: 'err.request.too_many_requests', message }));
};

export function dciRouter(deps: Deps): express.Router {
  const router = express.Router();
  const json = express.json({ limit: '10mb' });

  router.get('/.well-known/jwks.json', (_req, res, next) => {
    try {
      res.setHeader('Cache-Control', 'public, max-age=300').json(publicJwks(dciKeys(deps.config)));
    } catch (err) {
      next(err);
    }
  });

  router.post('/dci/:registry/registry/sync/search', json, endpoint(async (registry, body) => {
    const received = await receive(deps, registry, 'search', body, { callback: false });
    return { status: 200, body: await syncSearch(deps, received) };
  }));
  router.post('/dci/:registry/registry/search', json, endpoint(asyncAction(deps, 'search')));
  router.post('/dci/:registry/registry/subscribe', json, endpoint(asyncAction(deps, 'subscribe')));
  router.post('/dci/:registry/registry/unsubscribe', json, endpoint(asyncAction(deps, 'unsubscribe')));
  // Only the Farmer Registry's standard has transaction status.
  router.post('/dci/:registry/registry/txn/status', json, endpoint(asyncAction(deps, 'txn-status'), ['fr']));
  router.post('/dci/:registry/registry/sync/txn/status', json, endpoint(async (registry, body) => {
    const received = await receive(deps, registry, 'txn-status', body, { callback: false });
    return { status: 200, body: await syncTxnStatus(deps, received) };
  }, ['fr']));

  router.use('/dci/admin', adminRouter(deps));

  // Unparsable or oversized bodies on DCI endpoints get an ERR acknowledgement, like any bad message.
  router.use('/dci', (err: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (err.type === 'entity.parse.failed') return reply(res, new DciRejection('err.request.bad', `body is not valid JSON: ${err.message}`));
    if (err.status === 413) return reply(res, new DciRejection('err.request.bad', 'body is larger than 10 MB', 413));
    next(err);
  });
  return router;
}

/** REST: create, read, replace (PUT) and merge-patch (PATCH) registry records; every change is a life event. */
function adminRouter(deps: Deps): express.Router {
  const router = express.Router();
  router.use(requireAdminToken(deps.config), express.json({ limit: '2mb', type: ['application/json', 'application/merge-patch+json'] }));
  const registryOf = (req: Request): RegistryKey => {
    const r = String(req.params.registry);
    if (!isRegistryKey(r)) throw new DomainError('NOT_FOUND', `no registry "${r}"; use dr or fr`);
    return r;
  };
  const present = (row: { id: string; registry: string; identifier: string; version: number; record: unknown; created_at: Date; updated_at: Date }) => ({
    id: row.id,
    registry: row.registry,
    identifier: row.identifier,
    version: row.version,
    record: row.record,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  const handle = (fn: (req: Request) => Promise<{ status: number; body: unknown }>) => async (req: Request, res: Response) => {
    try {
      const out = await fn(req);
      res.status(out.status).json(out.body);
    } catch (err) {
      sendError(res, err);
    }
  };
  router.post('/registries/:registry/records', handle(async (req) => ({ status: 201, body: present(await createRecord(deps.db, registryOf(req), req.body)) })));
  router.get('/registries/:registry/records/:id', handle(async (req) => {
    const row = await getRecord(deps.db, registryOf(req), String(req.params.id));
    if (!row) throw new DomainError('NOT_FOUND', `no record ${req.params.id}`);
    return { status: 200, body: present(row) };
  }));
  router.put('/registries/:registry/records/:id', handle(async (req) => ({ status: 200, body: present(await updateRecord(deps.db, registryOf(req), String(req.params.id), req.body, 'replace')) })));
  router.patch('/registries/:registry/records/:id', handle(async (req) => ({ status: 200, body: present(await updateRecord(deps.db, registryOf(req), String(req.params.id), req.body, 'merge')) })));
  router.use((err: Error & { type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (err.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'BAD_USER_INPUT', message: `body is not valid JSON: ${err.message}`, field: 'record' });
      return;
    }
    next(err);
  });
  return router;
}
