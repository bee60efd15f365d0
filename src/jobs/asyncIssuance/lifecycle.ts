import type { Knex } from 'knex';
import type { Db } from '../../db/knex';
import {
  AsyncIssuanceStatus,
  CODE_TTL_MS,
  FAILURE_REASONS,
  FailureCode,
  invitationMessage,
  MessageContext,
  verificationMessage,
} from '../../domain/asyncIssuance';
import { validatePassDetails } from '../../domain/passDetails';
import { recordAudit } from '../../services/audit';
import { DomainError } from '../../services/errors';
import { getPassDesignById } from '../../services/passDesigns';
import type { PassLinks } from '../../services/passLinks';
import { distributeOnePass } from '../../services/distribution';
import type { ClaimSecrets } from './claimSecrets';
import type { AsyncIssuanceRow } from './requests';
import { dispatchKeys } from '../../notifications/keys';
import { enqueueNotifications } from '../../notifications/outbox';
import type { SealedParams } from '../../notifications/sealedParams';

/**
 * The transitions of an async issuance request, run by the issuance-expiry workflow's activities.
 * Each locks the request row, acts only while it is PENDING, and is idempotent: a retried activity
 * finds its work done (communications carry a per-send key) and writes nothing twice.
 */

export class AsyncIssuanceNotFound extends Error {}

type Channel = 'EMAIL' | 'SMS';
type LockedRequest = AsyncIssuanceRow & { organisation_name: string; contract_name: string };

async function lockRequest(trx: Knex.Transaction, requestId: string): Promise<LockedRequest> {
  const row = await trx('async_issuance_requests as r')
    .join('organisations as o', 'o.id', 'r.organisation_id')
    .join('pass_designs as d', 'd.id', 'r.pass_design_id')
    .where('r.id', requestId)
    .forUpdate('r')
    .first('r.*', 'o.name as organisation_name', 'd.title as contract_name');
  if (!row) throw new AsyncIssuanceNotFound(`async issuance request ${requestId} does not exist`);
  return row;
}

function messageContext(r: LockedRequest): MessageContext {
  return { organisationName: r.organisation_name, contractName: r.contract_name, identityName: r.identity_name, expiresOn: r.expires_on };
}

function destinations(email: string | null, phone: string | null): [Channel, string][] {
  const out: [Channel, string][] = [];
  if (email) out.push(['EMAIL', email]);
  if (phone) out.push(['SMS', phone]);
  return out;
}

/** Hands one message to the transport (the notification outbox) and records the Communication. */
async function communicate(
  trx: Knex.Transaction,
  r: LockedRequest,
  sendKey: string,
  purpose: 'INVITATION' | 'VERIFICATION_CODE',
  channel: Channel,
  recipient: string,
  message: { subject: string | null; body: string; secretParams?: string },
): Promise<void> {
  const [outboxId] = await enqueueNotifications(trx, [
    {
      organisationId: r.organisation_id,
      channel: channel === 'EMAIL' ? 'Email' : 'SMS',
      recipient,
      kind: purpose === 'INVITATION' ? 'invitation' : 'verification-code',
      dispatchKey: dispatchKeys.issuance(r.id, sendKey.replace(/-(EMAIL|SMS)$/, '')),
      reference: r.id,
      subject: message.subject,
      body: message.body,
      secretParams: message.secretParams ?? null,
    },
  ]);
  // Its status and sentAt are the outbox row's (listCommunications): PENDING until the provider accepts it.
  await trx('async_issuance_communications').insert({
    request_id: r.id,
    send_key: sendKey,
    channel,
    purpose,
    status: 'PENDING',
    outbox_id: outboxId,
  });
}

async function alreadySent(trx: Knex.Transaction, requestId: string, keyPrefix: string): Promise<number> {
  const rows = await trx('async_issuance_communications').where({ request_id: requestId }).whereLike('send_key', `${keyPrefix}-%`).count<{ n: number }[]>('* as n');
  return Number(rows[0].n);
}

/** Who acted, from the audit event the API recorded (workflows carry only its ID). */
async function actorOf(trx: Knex.Transaction, auditEventId: number | null | undefined): Promise<string | null> {
  if (!auditEventId) return null;
  const e = await trx('audit_events').where({ id: auditEventId }).first('actor');
  return e?.actor ?? null;
}

export interface SendResult {
  pending: boolean;
  status: AsyncIssuanceStatus;
  sent: number;
  /** The delivery run of what was sent (notify-<dispatchKey>). */
  dispatchKey: string;
}

/** Sends the invitation (send number `seq`: 0 the first, then each resend) to the notification contact. */
export async function sendInvitation(db: Db, secrets: ClaimSecrets, requestId: string, seq: number, auditEventId: number | null): Promise<SendResult> {
  return db.transaction(async (trx) => {
    const r = await lockRequest(trx, requestId);
    const key = `invitation-${seq}`;
    const dispatchKey = dispatchKeys.issuance(requestId, key);
    if (r.status !== 'PENDING') return { pending: false, status: r.status, sent: 0, dispatchKey };
    const done = await alreadySent(trx, r.id, key);
    if (done > 0) return { pending: true, status: r.status, sent: done, dispatchKey };
    const to = destinations(r.notification_email, r.notification_phone);
    for (const [channel, recipient] of to) {
      await communicate(trx, r, `${key}-${channel}`, 'INVITATION', channel, recipient, invitationMessage(channel, messageContext(r), secrets.claimUrl(r.id)));
    }
    if (auditEventId) {
      await trx('async_issuance_requests').where({ id: r.id }).update({ updated_at: trx.fn.now(), updated_by: await actorOf(trx, auditEventId) });
    }
    return { pending: true, status: r.status, sent: to.length, dispatchKey };
  });
}

/** Sends a fresh one-time code to the verification contact; only its HMAC is stored. */
export async function sendVerificationCode(db: Db, secrets: ClaimSecrets, sealed: SealedParams, requestId: string, seq: number): Promise<SendResult> {
  return db.transaction(async (trx) => {
    const r = await lockRequest(trx, requestId);
    const key = `verification-${seq}`;
    const dispatchKey = dispatchKeys.issuance(requestId, key);
    if (r.status !== 'PENDING') return { pending: false, status: r.status, sent: 0, dispatchKey };
    const done = await alreadySent(trx, r.id, key);
    if (done > 0) return { pending: true, status: r.status, sent: done, dispatchKey };
    const to = destinations(r.verification_email, r.verification_phone);
    if (to.length === 0) return { pending: true, status: r.status, sent: 0, dispatchKey };
    const code = secrets.newCode();
    await trx('async_issuance_requests')
      .where({ id: r.id })
      .update({
        otp_hash: secrets.hashCode(r.id, code),
        otp_expires_at: new Date(Date.now() + CODE_TTL_MS),
        otp_sent_at: trx.fn.now(),
      });
    // The stored body keeps a placeholder: the code itself is sealed and filled in only at send time.
    const secretParams = sealed.seal({ oneTimeCode: code });
    for (const [channel, recipient] of to) {
      const message = verificationMessage(channel, messageContext(r), '{{oneTimeCode}}');
      await communicate(trx, r, `${key}-${channel}`, 'VERIFICATION_CODE', channel, recipient, { ...message, secretParams });
    }
    return { pending: true, status: r.status, sent: to.length, dispatchKey };
  });
}

/** Contact data and codes are only needed while pending: a final request keeps none. */
const CLEAR_CONTACT = {
  notification_email: null,
  notification_phone: null,
  verification_email: null,
  verification_phone: null,
  otp_hash: null,
  otp_expires_at: null,
};

async function finalise(trx: Knex.Transaction, r: LockedRequest, patch: Record<string, unknown>): Promise<void> {
  await trx('async_issuance_requests')
    .where({ id: r.id })
    .update({ ...CLEAR_CONTACT, updated_at: trx.fn.now(), ...patch });
}

/** CANCELLED, EXPIRED or FAILED (with the reason for the code); returns the request's status after. */
export async function finishRequest(
  db: Db,
  requestId: string,
  status: 'CANCELLED' | 'EXPIRED' | 'FAILED',
  opts: { auditEventId?: number; reason?: FailureCode },
): Promise<AsyncIssuanceStatus> {
  return db.transaction(async (trx) => {
    const r = await lockRequest(trx, requestId);
    if (r.status !== 'PENDING') return r.status;
    await finalise(trx, r, {
      status,
      failure_reason: status === 'FAILED' ? FAILURE_REASONS[opts.reason ?? 'VERIFICATION_ATTEMPTS_EXCEEDED'] : null,
      ...(opts.auditEventId ? { updated_by: await actorOf(trx, opts.auditEventId) } : {}),
    });
    return status;
  });
}

/**
 * The claim: creates the pass through distribution's pass creation (serial from the design's
 * sequence, a distribution record for the organisation's reports and billing) and links it as
 * the issuance. A pass that cannot be created fails the request with the reason.
 */
export async function issue(db: Db, links: PassLinks, requestId: string): Promise<AsyncIssuanceStatus> {
  return db.transaction(async (trx) => {
    const r = await lockRequest(trx, requestId);
    if (r.status !== 'PENDING') return r.status;
    const design = await getPassDesignById(trx, r.pass_design_id);
    const now = new Date();
    const details = validatePassDetails(
      { externalReferenceID: r.pass_external_reference_id, dynamicFields: r.pass_dynamic_fields },
      design.dynamic_field_keys,
      now,
    );
    if (!details.ok) {
      await finalise(trx, r, { status: 'FAILED', failure_reason: `the pass could not be issued: ${details.error}` });
      return 'FAILED';
    }
    const org = await trx('organisations').where({ id: r.organisation_id }).first('price_per_pass');
    try {
      // A savepoint: a refused pass (e.g. an exhausted serial sequence) leaves the request to be failed.
      const { passId } = await trx.transaction((sp) =>
        distributeOnePass(sp, links, { org: r.organisation_id, email: r.created_by }, { design, org }, details.value),
      );
      await finalise(trx, r, { status: 'COMPLETED', issuance_pass_id: passId, issued_at: trx.fn.now() });
      await recordAudit(trx, {
        organisationId: r.organisation_id,
        actor: 'issuee',
        category: 'Distributions',
        action: 'asyncIssuanceClaim',
        subject: r.id,
        details: { passId },
      });
      return 'COMPLETED';
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      await finalise(trx, r, { status: 'FAILED', failure_reason: `the pass could not be issued: ${err.message}` });
      return 'FAILED';
    }
  });
}
