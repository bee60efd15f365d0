import crypto from 'node:crypto';
import express, { NextFunction, Request, Response } from 'express';
import type { Deps } from '../../deps';
import { isRegistryKey, RegistryKey } from '../../domain/dci/registries';
import { logger } from '../../logger';
import { sendError } from '../http/errors';
import { DomainError, ErrorCode } from '../../services/errors';
import { recordCallback } from '../../services/dci/callbackInbox';
import { disabilityLookup } from '../../services/dci/disability';
import { acceptAsync, CallbackAction, DciAction, DciRejection, DisabilityLookup, receive } from '../../services/dci/inbox';
import { dciKeys, publicJwks } from '../../services/dci/keys';
import { ack, callbackHeader, ErrorCode as DciErrorCode, truncate } from '../../services/dci/messages';
import { signEnvelope } from '../../services/dci/signature';
import { createRecord, getRecord, updateRecord } from '../../services/dci/records';
import { syncSearch } from '../../services/dci/searchRequests';
import { syncTxnStatus } from '../../services/dci/txnStatus';
import { requireAdminToken } from './adminAuth';
import type { TooManyResponder } from '../http/rateLimits';
import { requireDciToken } from './tokenAuth';

/**
 * The DCI registries over HTTP: every path of each registry's API file under
 * /dci/<dr|fr>/registry/..., Steward's public keys at /.well-known/jwks.json, and the records admin
 * API under /dci/admin. Every DCI path takes a bearer token (POST /oauth/token) and a signed
 * message from the token's sender.
 */
type Handler = (registry: RegistryKey, body: unknown, tokenSender: string) => Promise<{ status: number; body: unknown }>;

/** The DCI code of a refusal that is not a DciRejection (a use case's DomainError). */
const DCI_CODE: Record<ErrorCode, DciErrorCode> = {
  BAD_USER_INPUT: 'err.request.bad',
  UNAUTHENTICATED: 'err.request.unauthorized',
  FORBIDDEN: 'err.request.forbidden',
  NOT_FOUND: 'err.request.not_found',
  CONFLICT: 'err.request.bad',
  SERVICE_UNAVAILABLE: 'err.service.unavailable',
};
const dciCodeOf = (err: DomainError) => (err instanceof DciRejection ? err.dciCode : DCI_CODE[err.code]);

/** The header status_reason_code (MsgHeaderStatusReasonCode) of a refusal, where the standard has one. */
const HEADER_REASON: Partial<Record<string, string>> = { 'err.version.not_supported': 'rjct.version.invalid' };

/**
 * A refused sync request. The API files document 401/403/500 as `{errors}` and everything else as
 * the sync reply envelope (`default`), so other refusals are that envelope: a signed header with
 * status `rjct` and the reason, no message, and the `errors` list.
 */
function syncRefusal(deps: Deps, registry: RegistryKey, replyAction: string, body: unknown, err: DomainError) {
  const keys = dciKeys(deps.config);
  const registryId = keys.registryIds[registry];
  const code = dciCodeOf(err);
  const sender = (body as { header?: { sender_id?: unknown } } | undefined)?.header?.sender_id;
  const header = {
    ...callbackHeader({
      messageId: crypto.randomUUID(),
      action: replyAction,
      status: 'rjct',
      senderId: registryId,
      receiverId: typeof sender === 'string' ? sender : '',
      totalCount: 0,
      completedCount: 0,
      encrypted: false,
    }),
    ...(HEADER_REASON[code] ? { status_reason_code: HEADER_REASON[code] } : {}),
    status_reason_message: truncate(`${code}: ${err.message}`),
  };
  const signature = signEnvelope(header, undefined, { privateKey: keys.signing.privateKey, kidId: `${registryId}|${keys.signing.kid}|ed25519` });
  return { signature, header, errors: [{ code, message: truncate(err.message) }] };
}

/**
 * DCI edge: a DomainError is an ERR acknowledgement with its DCI code and HTTP status (on sync
 * paths, other than 401/403/500, the refusal envelope); the unexpected is logged and masked.
 */
function reply(res: Response, err: unknown, sync?: (err: DomainError) => unknown): void {
  if (err instanceof DomainError) {
    const code = dciCodeOf(err);
    logger.info({ code, reason: err.message }, 'DCI request refused');
    if (sync && ![401, 403, 500].includes(err.status)) {
      res.status(err.status).json(sync(err));
      return;
    }
    res.status(err.status).json(ack('ERR', undefined, { code, message: err.message }));
    return;
  }
  logger.error({ err }, 'DCI request failed');
  res.status(500).json(ack('ERR', undefined, { code: 'err.service.unavailable', message: 'the registry could not process the message' }));
}

const BOTH: readonly RegistryKey[] = ['dr', 'fr'];

/** A rate-limit refusal as the standard's ERR acknowledgement. */
export const dciTooMany: TooManyResponder = (res, message) => {
  res.json(ack('ERR', undefined, { code: 'err.request.too_many_requests', message }));
};

export function dciRouter(deps: Deps): express.Router {
  const router = express.Router();
  const json = express.json({ limit: '10mb' });
  const token = requireDciToken(deps);

  /**
   * A DCI path of the given registries: unknown registry 404, then bearer token, body, handler.
   * Sync paths name the action of their reply envelope (refusals take its shape).
   */
  const route = (path: string, handler: Handler, registries: readonly RegistryKey[] = BOTH, replyAction?: string) => {
    const ofRegistry = (req: Request, _res: Response, next: NextFunction) => {
      const registry = String(req.params.registry);
      next(isRegistryKey(registry) && registries.includes(registry) ? undefined : 'route');
    };
    const refuse = (req: Request, res: Response, err: unknown) =>
      reply(res, err, replyAction ? (e) => syncRefusal(deps, req.params.registry as RegistryKey, replyAction, req.body, e) : undefined);
    // Unparsable or oversized bodies get the path's refusal, like any bad message.
    const body = (req: Request, res: Response, next: NextFunction) =>
      json(req, res, (err?: Error & { type?: string; status?: number }) => {
        if (!err) return next();
        if (err.type === 'entity.parse.failed') return refuse(req, res, new DciRejection('err.request.bad', `body is not valid JSON: ${err.message}`));
        if (err.status === 413) return refuse(req, res, new DciRejection('err.request.bad', 'body is larger than 10 MB', 413));
        next(err);
      });
    router.post(`/dci/:registry/registry/${path}`, ofRegistry, token, body, async (req: Request, res: Response) => {
      try {
        const out = await handler(req.params.registry as RegistryKey, req.body, req.dciSender!);
        res.status(out.status).json(out.body);
      } catch (err) {
        refuse(req, res, err);
      }
    });
  };
  const asyncAction = (action: DciAction): Handler => async (registry, body, tokenSender) => {
    const received = await receive(deps, registry, action, body, { callback: true, tokenSender });
    return { status: 200, body: ack('ACK', await acceptAsync(deps, received)) };
  };
  const lookup = (kind: DisabilityLookup): Handler => async (registry, body, tokenSender) => ({
    status: 200,
    body: await disabilityLookup(deps, await receive(deps, registry, kind, body, { callback: false, tokenSender })),
  });
  const callback = (action: CallbackAction): Handler => async (registry, body, tokenSender) => {
    const received = await receive(deps, registry, action, body, { callback: false, tokenSender });
    return { status: 200, body: ack('ACK', (await recordCallback(deps, received)).correlationId) };
  };

  router.get('/.well-known/jwks.json', (_req, res, next) => {
    try {
      res.setHeader('Cache-Control', 'public, max-age=300').json(publicJwks(dciKeys(deps.config)));
    } catch (err) {
      next(err);
    }
  });

  // Registry side: requests from senders.
  route('sync/search', async (registry, body, tokenSender) => ({
    status: 200,
    body: await syncSearch(deps, await receive(deps, registry, 'search', body, { callback: false, tokenSender })),
  }), BOTH, 'on-search');
  route('search', asyncAction('search'));
  route('subscribe', asyncAction('subscribe'));
  route('unsubscribe', asyncAction('unsubscribe'));
  // Only the Farmer Registry's standard has transaction status; only the Disability Registry's the look-ups.
  route('txn/status', asyncAction('txn-status'), ['fr']);
  route('sync/txn/status', async (registry, body, tokenSender) => ({
    status: 200,
    body: await syncTxnStatus(deps, await receive(deps, registry, 'txn-status', body, { callback: false, tokenSender })),
  }), ['fr'], 'txn-on-status');
  route('sync/get-disability-support', lookup('get-disability-support'), ['dr'], 'on-search');
  route('sync/get-disability-details', lookup('get-disability-details'), ['dr'], 'on-search');
  route('sync/disabled', lookup('disabled'), ['dr'], 'on-search');

  // Receiving side: callbacks from registries Steward searched or subscribed to.
  route('on-search', callback('on-search'));
  route('on-subscribe', callback('on-subscribe'));
  route('on-unsubscribe', callback('on-unsubscribe'));
  route('notify', callback('notify'));
  route('txn/on-status', callback('txn-on-status'), ['fr']);

  router.use('/dci/admin', adminRouter(deps));
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
