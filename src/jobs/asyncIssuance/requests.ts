import crypto from 'node:crypto';
import type { Principal } from '../../auth/tokens';
import type { Db } from '../../db/knex';
import { AsyncIssuanceExpiry, AsyncIssuanceStatus, expiresOn, fillDynamicFields, isStatusFinal } from '../../domain/asyncIssuance';
import { validatePassDetails } from '../../domain/passDetails';
import { recordAudit } from '../../services/audit';
import { DomainError } from '../../services/errors';
import { PassDesignRow } from '../../services/passDesigns';

export interface AsyncIssuanceRow {
  id: string;
  organisation_id: string;
  pass_design_id: string;
  status: AsyncIssuanceStatus;
  expiry: AsyncIssuanceExpiry;
  expires_on: Date;
  failure_reason: string | null;
  identity_id: string;
  identity_name: string | null;
  identity_email: string | null;
  identity_phone: string | null;
  notification_email: string | null;
  notification_phone: string | null;
  verification_email: string | null;
  verification_phone: string | null;
  photo_capture: boolean;
  photo_file_id: string | null;
  pass_dynamic_fields: Record<string, string>;
  pass_external_reference_id: string;
  otp_hash: string | null;
  otp_expires_at: Date | null;
  otp_sent_at: Date | null;
  otp_attempts: number;
  claim_verified_at: Date | null;
  issuance_pass_id: string | null;
  issued_at: Date | null;
  created_at: Date;
  created_by: string;
  updated_at: Date | null;
  updated_by: string | null;
}

export interface Contact {
  email?: string | null;
  phone?: string | null;
}

export interface CreateAsyncIssuanceInput {
  contract: { id?: string | null; title?: string | null };
  identity: { name?: string | null; email?: string | null; phone?: string | null };
  expiry: AsyncIssuanceExpiry;
  photoCapture?: boolean | null;
  contact?: { notification?: Contact | null; verification?: Contact | null } | null;
  dynamicFields?: Record<string, string> | null;
  externalReferenceID?: string | null;
}

async function findContract(db: Db, organisationId: string, ref: CreateAsyncIssuanceInput['contract']): Promise<PassDesignRow> {
  const q = db('pass_designs as d')
    .join('serial_sequences as s', 's.id', 'd.serial_sequence_id')
    .where('d.organisation_id', organisationId)
    .first('d.*', 's.prefix as serial_prefix');
  const design = ref.id ? await q.where('d.id', ref.id) : await q.where('d.title', ref.title!);
  if (!design) {
    throw new DomainError('NOT_FOUND', ref.id ? `no pass design with ID ${ref.id}` : `no pass design titled "${ref.title}"`, `input.contract.${ref.id ? 'id' : 'title'}`);
  }
  return design;
}

/**
 * Records a new request (validated against its contract, so a claim can only fail for reasons
 * that arise later). The caller starts its workflow after the commit.
 */
export async function insertAsyncIssuanceRequest(db: Db, principal: Principal, input: CreateAsyncIssuanceInput, receivedAt: Date): Promise<AsyncIssuanceRow> {
  const design = await findContract(db, principal.org, input.contract);
  const dynamicFields = fillDynamicFields(design.dynamic_field_keys, input.dynamicFields ?? {}, input.identity);
  const id = crypto.randomUUID();
  const externalReferenceID = input.externalReferenceID ?? id;
  const check = validatePassDetails({ externalReferenceID, dynamicFields }, design.dynamic_field_keys, receivedAt);
  if (!check.ok) throw new DomainError('BAD_USER_INPUT', `the pass of design "${design.title}" could not be issued from this request: ${check.error}`, 'input.dynamicFields');
  const n = input.contact?.notification;
  const v = input.contact?.verification;
  return db.transaction(async (trx) => {
    const [row] = await trx('async_issuance_requests')
      .insert({
        id,
        organisation_id: principal.org,
        pass_design_id: design.id,
        expiry: input.expiry,
        expires_on: expiresOn(receivedAt, input.expiry),
        identity_name: input.identity.name ?? null,
        identity_email: input.identity.email ?? null,
        identity_phone: input.identity.phone ?? null,
        notification_email: n?.email ?? null,
        notification_phone: n?.phone ?? null,
        verification_email: v?.email ?? null,
        verification_phone: v?.phone ?? null,
        photo_capture: input.photoCapture ?? false,
        pass_dynamic_fields: JSON.stringify(dynamicFields),
        pass_external_reference_id: externalReferenceID,
        created_at: receivedAt,
        created_by: principal.email,
      })
      .returning('*');
    await recordAudit(trx, {
      organisationId: principal.org,
      actor: principal.email,
      category: 'Distributions',
      action: 'createAsyncIssuanceRequest',
      subject: id,
      details: { passDesignId: design.id, expiry: input.expiry },
    });
    return row;
  });
}

/** Undoes a request whose workflow could not be started, so nothing is left half-made. */
export async function deleteUnstartedRequest(db: Db, requestId: string): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('audit_events').where({ subject: requestId, action: 'createAsyncIssuanceRequest' }).delete();
    await trx('async_issuance_requests').where({ id: requestId }).delete();
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findAsyncIssuanceRequest(db: Db, organisationId: string, id: string): Promise<AsyncIssuanceRow | undefined> {
  if (!UUID.test(id)) return undefined;
  return db('async_issuance_requests').where({ id, organisation_id: organisationId }).first();
}

export async function getAsyncIssuanceRequest(db: Db, organisationId: string, id: string, field = 'id'): Promise<AsyncIssuanceRow> {
  const row = await findAsyncIssuanceRequest(db, organisationId, id);
  if (!row) throw new DomainError('NOT_FOUND', `no async issuance request with ID ${id}`, field);
  return row;
}

/** A clear refusal for an action on a final request (isStatusFinal: no further actions). */
export function assertPending(row: AsyncIssuanceRow, action: string): void {
  if (isStatusFinal(row.status)) {
    throw new DomainError('CONFLICT', `cannot ${action}: async issuance request ${row.id} is ${row.status}, a final status; no further actions can be taken`, 'id');
  }
}

export interface FindFilter {
  status?: AsyncIssuanceStatus[] | null;
  contractId?: string | null;
  identityEmail?: string | null;
  createdFrom?: Date | null;
  createdTo?: Date | null;
}

const ORDER_COLUMNS = { CREATED_AT: 'created_at', EXPIRES_ON: 'expires_on', UPDATED_AT: 'updated_at' } as const;

export async function findAsyncIssuanceRequests(
  db: Db,
  organisationId: string,
  q: { where: FindFilter; limit: number; offset: number; orderBy: keyof typeof ORDER_COLUMNS; orderDirection: 'ASC' | 'DESC' },
): Promise<AsyncIssuanceRow[]> {
  const query = db('async_issuance_requests').where({ organisation_id: organisationId });
  const w = q.where;
  if (w.status?.length) query.whereIn('status', w.status);
  if (w.contractId) {
    if (!UUID.test(w.contractId)) return [];
    query.where('pass_design_id', w.contractId);
  }
  if (w.identityEmail) query.whereRaw('lower(identity_email) = lower(?)', [w.identityEmail]);
  if (w.createdFrom) query.where('created_at', '>=', w.createdFrom);
  if (w.createdTo) query.where('created_at', '<', w.createdTo);
  const dir = q.orderDirection === 'ASC' ? 'asc' : 'desc';
  return query
    .orderBy([{ column: ORDER_COLUMNS[q.orderBy], order: dir, nulls: 'last' }, { column: 'id', order: dir }])
    .limit(q.limit)
    .offset(q.offset);
}

export interface CommunicationQuery {
  limit: number;
  offset: number;
  orderBy: 'CREATED_AT' | 'SENT_AT';
  orderDirection: 'ASC' | 'DESC';
  where: { channel?: string | null; status?: string | null; purpose?: string | null };
}

export async function listCommunications(db: Db, requestId: string, q: CommunicationQuery) {
  // The real delivery status is the outbox row's: PENDING until the provider accepted it (SENT) or gave up (FAILED).
  const status = db.raw(`COALESCE(upper(o.status), c.status)`);
  const query = db('async_issuance_communications as c')
    .leftJoin('notification_outbox as o', 'o.id', 'c.outbox_id')
    .where({ 'c.request_id': requestId })
    .select('c.id', 'c.channel', 'c.purpose', 'c.created_at', 'c.send_key', { status }, db.raw('COALESCE(o.sent_at, c.sent_at) AS sent_at'));
  for (const k of ['channel', 'purpose'] as const) if (q.where[k]) query.where(`c.${k}`, q.where[k]);
  if (q.where.status) query.whereRaw(`COALESCE(upper(o.status), c.status) = ?`, [q.where.status]);
  const dir = q.orderDirection === 'ASC' ? 'asc' : 'desc';
  const column = q.orderBy === 'SENT_AT' ? 'COALESCE(o.sent_at, c.sent_at)' : 'c.created_at';
  const rows = await query
    .orderByRaw(`${column} ${dir} NULLS LAST, c.send_key ${dir}`)
    .limit(q.limit)
    .offset(q.offset);
  return rows.map((c: any) => ({ id: c.id, channel: c.channel, status: c.status, purpose: c.purpose, createdAt: c.created_at, sentAt: c.sent_at }));
}
