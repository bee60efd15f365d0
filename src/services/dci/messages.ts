import crypto from 'node:crypto';
import type { RegistryDef } from '../../domain/dci/registries';

/**
 * The DCI message shapes Steward sends: acknowledgements, callback headers, and the entries of
 * search responses. Statuses and reason codes are the standard's enums.
 */
export type AckStatus = 'ACK' | 'NACK' | 'ERR';
export type RequestStatus = 'rcvd' | 'pdng' | 'succ' | 'rjct';
export type ErrorCode =
  | 'err.request.bad'
  | 'err.request.unauthorized'
  | 'err.request.forbidden'
  | 'err.request.not_found'
  | 'err.request.timeout'
  | 'err.version.not_supported'
  | 'err.request.too_many_requests'
  | 'err.sender_id.invalid'
  | 'err.sender_uri.invalid'
  | 'err.receiver_id.invalid'
  | 'err.signature.missing'
  | 'err.signature.invalid'
  | 'err.encryption.invalid'
  | 'err.service.unavailable';

export const DCI_VERSION = '1.0.0';
const MAX_MESSAGE = 999;

export const nowIso = () => new Date().toISOString();
export const truncate = (s: string) => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s);

/** The acknowledgement every async endpoint answers with. An ERR also carries `errors` (the standard's HTTP error shape). */
export function ack(status: AckStatus, correlationId: string = crypto.randomUUID(), error?: { code: ErrorCode; message: string }) {
  const message = { ack_status: status, timestamp: nowIso(), correlation_id: correlationId, ...(error ? { error: { code: error.code, message: truncate(error.message) } } : {}) };
  return error ? { message, errors: [{ code: error.code, message: truncate(error.message) }] } : { message };
}

export interface HeaderInput {
  messageId: string;
  action: string;
  status: RequestStatus;
  senderId: string;
  receiverId: string;
  totalCount: number;
  completedCount: number;
  encrypted: boolean;
  meta?: Record<string, unknown>;
}

/** A header valid as both MsgCallbackHeader (on-search, notify) and MsgHeader (on-subscribe, on-unsubscribe). */
export function callbackHeader(h: HeaderInput) {
  return {
    version: DCI_VERSION,
    message_id: h.messageId,
    message_ts: nowIso(),
    action: h.action,
    status: h.status,
    total_count: h.totalCount,
    completed_count: h.completedCount,
    sender_id: h.senderId,
    receiver_id: h.receiverId,
    is_msg_encrypted: h.encrypted,
    meta: h.meta ?? {},
  };
}

export type SearchOutcome =
  | { status: 'succ'; records: Record<string, unknown>[]; pageSize: number; pageNumber: number; total: number }
  | { status: 'rjct'; reasonCode: string; message: string };

/**
 * search_response entries for one request item. FR's reg_records is an array: one entry holds the
 * page. DR's reg_records is a single object in the standard: one entry per record, all with the
 * item's reference_id and the page's pagination (a page without records: one entry without data).
 */
export function searchResponseEntries(def: RegistryDef, referenceId: string, outcome: SearchOutcome) {
  const base = { reference_id: referenceId, timestamp: nowIso() };
  if (outcome.status === 'rjct') {
    return [{ ...base, status: 'rjct', status_reason_code: outcome.reasonCode, status_reason_message: truncate(outcome.message) }];
  }
  const pagination = { page_size: outcome.pageSize, page_number: outcome.pageNumber, total_count: outcome.total };
  const data = (records: unknown) => ({ version: DCI_VERSION, reg_type: def.regType, reg_event_type: def.searchEventType, reg_record_type: def.recordType, reg_records: records });
  if (def.recordsShape === 'array') return [{ ...base, status: 'succ', data: data(outcome.records), pagination }];
  if (outcome.records.length === 0) return [{ ...base, status: 'succ', pagination }];
  return outcome.records.map((r) => ({ ...base, status: 'succ', data: data(r), pagination }));
}
