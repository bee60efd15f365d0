import crypto from 'node:crypto';
import { z } from 'zod';
import type { Deps } from '../../deps';
import { REGISTRIES, RegistryKey } from '../../domain/dci/registries';
import { startDciRequest } from '../../jobs/dci/client';
import type { DciRequestAction } from '../../jobs/dci/defs';
import { checkCallbackUrl } from '../callbacks/addressGuard';
import { DomainError, invalid } from '../errors';
import { decryptMessage, EncryptionError } from './encryption';
import { DciKeyError, dciKeys } from './keys';
import { DCI_VERSION, ErrorCode } from './messages';
import { getSender, senderEncryptionKey, senderKeyLookup } from './senders';
import { CLOCK_SKEW_SECONDS, envelopeDigest, SIGNATURE_TTL_SECONDS, verifyEnvelope } from './signature';

/**
 * Receiving a DCI request: envelope and header checks, signature (against the sender's registered
 * key, within its time window), decryption, message structure. What fails here is answered with an
 * ERR acknowledgement and its `err.*` code; per-item problems (a bad query, a duplicate
 * reference_id) are answered in the response with `rjct.*` codes instead.
 */
export type DciAction = DciRequestAction;
/** The DR's sync look-ups (header action "search", message {transaction_id, disabled_criteria}). */
export type DisabilityLookup = 'get-disability-support' | 'get-disability-details' | 'disabled';
/** Callbacks Steward receives as the requesting party (it subscribed to or searched another registry). */
export type CallbackAction = 'on-search' | 'on-subscribe' | 'on-unsubscribe' | 'notify' | 'txn-on-status';
export type DciKind = DciAction | DisabilityLookup | CallbackAction;

/** A refused DCI request: a DomainError carrying the standard's own `err.*` code and HTTP status. */
export class DciRejection extends DomainError {
  constructor(
    readonly dciCode: ErrorCode,
    message: string,
    status = 400,
  ) {
    super(status === 401 ? 'UNAUTHENTICATED' : status === 503 ? 'SERVICE_UNAVAILABLE' : 'BAD_USER_INPUT', message, undefined, { status });
  }
}

const transactionId = z.union([z.string().min(1).max(99), z.number().int().nonnegative()]).transform(String);
const items = <T extends z.ZodTypeAny>(item: T) => z.array(item).min(1, 'needs at least one item').max(100, 'at most 100 items per message');
const item = z.object({ reference_id: z.unknown(), timestamp: z.unknown(), locale: z.string().optional() }).passthrough();

export const MESSAGE_SCHEMAS = {
  search: z.object({ transaction_id: transactionId, search_request: items(item.extend({ search_criteria: z.record(z.string(), z.unknown()) })) }).passthrough(),
  subscribe: z.object({ transaction_id: transactionId, subscribe_request: items(item.extend({ subscribe_criteria: z.record(z.string(), z.unknown()) })) }).passthrough(),
  unsubscribe: z
    .object({
      transaction_id: transactionId,
      // The seeds spell it "timesstamp"; the standard's current version "timestamp".
      timestamp: z.string().optional(),
      timesstamp: z.string().optional(),
      subscription_codes: z.array(z.string().min(1).max(99)).min(1, 'needs at least one code').max(100),
    })
    .passthrough()
    .refine((m) => m.timestamp !== undefined || m.timesstamp !== undefined, { message: 'is required', path: ['timestamp'] }),
  'txn-status': z
    .object({
      transaction_id: transactionId,
      txnstatus_request: z
        .object({
          reference_id: z.string().min(1),
          txn_type: z.enum(['search', 'subscribe', 'unsubscribe']),
          attribute_type: z.enum(['transaction_id', 'reference_id_list', 'correlation_id', 'subscription_code_list']),
          attribute_value: z.union([z.string(), z.number(), z.array(z.string())]),
          locale: z.string().optional(),
        })
        .passthrough(),
    })
    .passthrough(),
  ...disabilitySchemas(),
  ...callbackSchemas(),
} as const;

function disabilitySchemas() {
  const schema = z
    .object({
      transaction_id: transactionId,
      disabled_criteria: z.object({ query_type: z.unknown(), query: z.unknown() }).passthrough(),
    })
    .passthrough();
  return { 'get-disability-support': schema, 'get-disability-details': schema, disabled: schema };
}

/** Received callbacks: the required members of the standard's response shapes (SearchResponse, SubscribeResponse, ...). */
function callbackSchemas() {
  const status = z.enum(['rcvd', 'pdng', 'succ', 'rjct']);
  const entry = z.object({ reference_id: z.string(), timestamp: z.string(), status }).passthrough();
  const responseOf = (key: string, item: z.ZodTypeAny) =>
    z.object({ transaction_id: transactionId, correlation_id: z.string().min(1).max(99), [key]: z.array(item) }).passthrough();
  return {
    'on-search': responseOf('search_response', entry),
    'on-subscribe': responseOf(
      'subscribe_response',
      entry.extend({ subscriptions: z.array(z.object({ code: z.string().min(1).max(99), status: z.enum(['subscribe', 'unsubscribe']), timestamp: z.string() }).passthrough()).optional() }),
    ),
    'on-unsubscribe': z
      .object({
        transaction_id: transactionId,
        correlation_id: z.string().min(1).max(99),
        timestamp: z.string(),
        status,
        subscription_status: z.array(z.object({ code: z.string(), status: z.enum(['subscribe', 'unsubscribe']) }).passthrough()).optional(),
      })
      .passthrough(),
    notify: z
      .object({
        transaction_id: transactionId,
        notify_event: z.array(
          z.object({ reference_id: z.string(), timestamp: z.string(), data: z.object({ reg_record_type: z.string(), reg_records: z.unknown() }).passthrough() }).passthrough(),
        ),
      })
      .passthrough(),
    'txn-on-status': z
      .object({
        transaction_id: transactionId,
        correlation_id: z.string().min(1).max(99),
        txnstatus_response: z.object({ txn_type: z.string(), txn_status: z.record(z.string(), z.unknown()) }).passthrough(),
      })
      .passthrough(),
  };
}

/** The header action each endpoint kind expects (the DR's look-ups are "search" in the standard). */
export const HEADER_ACTION: Record<DciKind, string> = {
  search: 'search',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  'txn-status': 'txn-status',
  'get-disability-support': 'search',
  'get-disability-details': 'search',
  disabled: 'search',
  'on-search': 'on-search',
  'on-subscribe': 'on-subscribe',
  'on-unsubscribe': 'on-unsubscribe',
  notify: 'notify',
  'txn-on-status': 'txn-on-status',
};
const CALLBACK_KINDS: readonly DciKind[] = ['on-search', 'on-subscribe', 'on-unsubscribe', 'notify', 'txn-on-status'];

const headerSchema = z
  .object({
    version: z.string().optional(),
    message_id: z.string().min(1).max(99),
    message_ts: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date-time'),
    action: z.string(),
    sender_id: z.string().min(1),
    sender_uri: z.string().optional(),
    receiver_id: z.string().optional(),
    total_count: z.number().int().nonnegative(),
    is_msg_encrypted: z.boolean().optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

/**
 * Callback headers: MsgCallbackHeader (status, no required total_count) or, for the DR file's
 * on-subscribe/on-unsubscribe, MsgHeader; Steward needs sender_id to verify the signature.
 */
const callbackHeaderSchema = headerSchema.extend({
  total_count: z.number().int().nonnegative().optional(),
  completed_count: z.number().int().nonnegative().optional(),
  status: z.enum(['rcvd', 'pdng', 'succ', 'rjct']).optional(),
});

export type DciHeader = z.infer<typeof headerSchema>;

export interface Received<A extends DciKind = DciAction> {
  registry: RegistryKey;
  action: A;
  header: DciHeader;
  message: z.infer<(typeof MESSAGE_SCHEMAS)[A]>;
  digest: string;
  encrypted: boolean;
  /** Where callbacks go: header.sender_uri, else the sender's registered default. */
  senderUri?: string;
}

/** The first broken rules of a message part, fields in the standard's JSON-path style. */
const zodMessage = (root: string, error: z.ZodError) => invalid(error, root, { style: 'brackets', limit: 5 }).message;

/**
 * header.message_ts must be recent: no older than a signature may live (plus clock skew), and not
 * ahead of our clock by more than the skew. Replays of old captures stop here.
 */
function checkMessageTimestamp(messageTs: string, nowMs = Date.now()): void {
  const at = Date.parse(messageTs);
  const oldest = nowMs - (SIGNATURE_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
  const newest = nowMs + CLOCK_SKEW_SECONDS * 1000;
  if (at < oldest || at > newest) {
    throw new DciRejection(
      'err.request.bad',
      `rjct.message_ts.invalid: header.message_ts ${messageTs} is outside the accepted window (at most ${SIGNATURE_TTL_SECONDS + CLOCK_SKEW_SECONDS} s old, ${CLOCK_SKEW_SECONDS} s ahead)`,
    );
  }
}

export interface ReceiveOptions {
  /** The request asks for callbacks: a sender_uri (or the sender's default) is required. */
  callback: boolean;
  /** The sender_id of the bearer token the request came with: it must be header.sender_id. */
  tokenSender: string;
}

export async function receive<A extends DciKind>(deps: Deps, registry: RegistryKey, action: A, body: unknown, opts: ReceiveOptions): Promise<Received<A>> {
  const envelope = body as { signature?: unknown; header?: unknown; message?: unknown };
  if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) throw new DciRejection('err.request.bad', 'body must be a JSON object {signature, header, message}');
  const isCallback = CALLBACK_KINDS.includes(action);
  const header = (isCallback ? callbackHeaderSchema : headerSchema).safeParse(envelope.header);
  if (!header.success) throw new DciRejection('err.request.bad', zodMessage('header', header.error));
  const h = header.data as DciHeader;
  if (h.sender_id !== opts.tokenSender) {
    throw new DciRejection('err.request.unauthorized', `header.sender_id: "${h.sender_id}" is not the sender of the bearer token (${opts.tokenSender})`, 401);
  }
  if (h.version !== undefined && h.version !== DCI_VERSION) throw new DciRejection('err.version.not_supported', `header.version: ${h.version} is not supported; use ${DCI_VERSION}`);
  const expected = HEADER_ACTION[action];
  if (h.action !== expected) throw new DciRejection('err.request.bad', `header.action: must be "${expected}" on this endpoint (got "${h.action}")`);
  let keys;
  try {
    keys = dciKeys(deps.config);
  } catch (err) {
    if (err instanceof DciKeyError) throw new DciRejection('err.service.unavailable', `registry keys are not configured: ${err.message}`, 503);
    throw err;
  }
  const registryId = keys.registryIds[registry];
  if (h.receiver_id !== undefined && h.receiver_id !== registryId) {
    throw new DciRejection('err.receiver_id.invalid', `header.receiver_id: this is ${registryId} (the ${REGISTRIES[registry].name})`);
  }
  if (envelope.message === undefined) throw new DciRejection('err.request.bad', 'message: is required');
  checkMessageTimestamp(h.message_ts);

  const verified = await verifyEnvelope(envelope as never, senderKeyLookup(deps.db));
  if (!verified.ok) throw new DciRejection(verified.code, verified.message, 401);

  const encrypted = h.is_msg_encrypted === true;
  let plain: unknown = envelope.message;
  if (encrypted) {
    try {
      plain = await decryptMessage(envelope.message, keys.encryption.privateKey, keys.encryption.kid);
    } catch (err) {
      if (err instanceof EncryptionError) throw new DciRejection('err.encryption.invalid', err.message);
      throw err;
    }
    if (!isCallback && !(await senderEncryptionKey(deps.db, h.sender_id))) {
      throw new DciRejection('err.encryption.invalid', `sender ${h.sender_id} has no encryption key registered, so the encrypted reply cannot be sent; register one (admin CLI: dci sender add --encryption-key)`);
    }
  }
  const message = MESSAGE_SCHEMAS[action].safeParse(plain);
  if (!message.success) throw new DciRejection('err.request.bad', zodMessage('message', message.error));

  let senderUri: string | undefined;
  if (opts.callback) {
    const sender = await getSender(deps.db, h.sender_id);
    senderUri = h.sender_uri ?? sender?.default_callback_uri ?? undefined;
    if (!senderUri) throw new DciRejection('err.sender_uri.invalid', 'header.sender_uri: is required (no default callback URI is registered for this sender)');
    try {
      checkCallbackUrl(senderUri, deps.config.callbackAllowPrivate);
    } catch (err) {
      throw new DciRejection('err.sender_uri.invalid', `header.sender_uri: ${(err as Error).message}`);
    }
  }
  return {
    registry,
    action,
    header: h,
    message: message.data as Received<A>['message'],
    digest: envelopeDigest(envelope.header, envelope.message),
    encrypted,
    senderUri,
  };
}

/**
 * Records a received message as a transaction; a resent async message (same message_id, same
 * content) finds its transaction again, a resent sync message or a reused message_id with other
 * content is refused.
 */
export async function recordTransaction(deps: Deps, r: Received<DciAction | DisabilityLookup>, sync: boolean): Promise<{ correlationId: string; fresh: boolean }> {
  const row = {
    correlation_id: crypto.randomUUID(),
    registry: r.registry,
    sender_id: r.header.sender_id,
    message_id: r.header.message_id,
    action: r.action,
    sync,
    transaction_id: (r.message as { transaction_id: string }).transaction_id,
    digest: r.digest,
    sender_uri: r.senderUri ?? null,
    encrypted: r.encrypted,
    request: JSON.stringify(r.message),
    status: 'rcvd',
  };
  const inserted = await deps.db('dci_transactions').insert(row).onConflict(['registry', 'sender_id', 'message_id']).ignore().returning('correlation_id');
  if (inserted.length) return { correlationId: row.correlation_id, fresh: true };
  const existing = await deps.db('dci_transactions').where({ registry: r.registry, sender_id: r.header.sender_id, message_id: r.header.message_id }).first();
  if (existing.digest !== r.digest) {
    throw new DciRejection('err.request.bad', `header.message_id: "${r.header.message_id}" was already used for a different message (rjct.message_id.duplicate)`);
  }
  // An async message again is the same transaction (acknowledged again, no second job); a sync one
  // would run its search again for whoever replays it, so it is refused.
  if (sync) {
    throw new DciRejection('err.request.bad', `rjct.message_id.duplicate: header.message_id "${r.header.message_id}" was already received; a sync request is answered once (send a new message_id)`);
  }
  return { correlationId: existing.correlation_id, fresh: false };
}

/** Async endpoints: record the message and start its workflow (once), then acknowledge. */
export async function acceptAsync(deps: Deps, r: Received): Promise<string> {
  const { correlationId } = await recordTransaction(deps, r, false);
  if (!deps.temporal) throw new DciRejection('err.service.unavailable', 'the registry cannot start jobs right now', 503);
  try {
    await startDciRequest({ ...deps, temporal: deps.temporal }, { action: r.action, registry: r.registry, correlationId, senderId: r.header.sender_id });
  } catch (err) {
    throw new DciRejection('err.service.unavailable', `the job could not be started: ${(err as Error).message}`, 503);
  }
  return correlationId;
}
