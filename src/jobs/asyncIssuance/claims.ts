import type { Deps } from '../../deps';
import { CODE_RESEND_INTERVAL_MS, maskEmail, maskPhone, MAX_CODE_ATTEMPTS } from '../../domain/asyncIssuance';
import { claimUpdate, failUpdate, sendCodeUpdate } from './defs';
import { DomainError } from '../../services/errors';
import { insertStoredFile } from '../../services/files';
import type { PassLinks } from '../../services/passLinks';
import type { ClaimSecrets } from './claimSecrets';
import type { AsyncIssuanceRow } from './requests';
import { updateIssuanceWorkflow } from './client';

/**
 * The issuee's side: whoever holds the claim token (from the invitation) may claim. Codes are
 * checked here, against their stored HMAC, never passed to Temporal; the workflow is asked to
 * send codes, to issue, or to fail the request after the last wrong code.
 */

export interface ClaimDeps {
  deps: Deps;
  secrets: ClaimSecrets;
  links: PassLinks;
}

const MAX_PHOTO_BYTES = 2 * 1024 * 1024;
const PHOTO_TYPES: [string, number[], string][] = [
  ['image/jpeg', [0xff, 0xd8, 0xff], 'jpg'],
  ['image/png', [0x89, 0x50, 0x4e, 0x47], 'png'],
];
const PHOTO_KEPT_MS = 366 * 24 * 3600 * 1000;

async function requestForToken({ deps, secrets }: ClaimDeps, token: string): Promise<AsyncIssuanceRow & { contract_name: string }> {
  const id = secrets.openClaimToken(token);
  const row = id
    ? await deps.db('async_issuance_requests as r').join('pass_designs as d', 'd.id', 'r.pass_design_id').where('r.id', id).first('r.*', 'd.title as contract_name')
    : undefined;
  if (!row) throw new DomainError('BAD_USER_INPUT', 'is not a valid claim token', 'claimToken');
  return row;
}

function hasVerification(r: AsyncIssuanceRow): boolean {
  return Boolean(r.verification_email || r.verification_phone);
}

async function claimView({ deps, links }: ClaimDeps, r: AsyncIssuanceRow & { contract_name: string }, sentTo: string[] = []) {
  let passDownloadLink: string | null = null;
  if (r.status === 'COMPLETED' && r.issuance_pass_id) {
    const pass = await deps.db('passes').where({ id: r.issuance_pass_id }).first('serial_number');
    passDownloadLink = links.downloadLink(links.apiKey({ serialNumber: pass.serial_number, organisationId: r.organisation_id }));
  }
  const pending = r.status === 'PENDING';
  return {
    requestId: r.id,
    status: r.status,
    contractName: r.contract_name,
    expiresOn: r.expires_on,
    hasContactVerificationSet: pending && hasVerification(r),
    photoCapture: pending && r.photo_capture,
    verificationCodeSentTo: sentTo,
    verificationAttemptsLeft: pending && hasVerification(r) ? Math.max(0, MAX_CODE_ATTEMPTS - r.otp_attempts) : null,
    passDownloadLink,
    failureReason: r.status === 'FAILED' ? r.failure_reason : null,
  };
}

function refuseFinal(r: AsyncIssuanceRow): void {
  if (r.status !== 'PENDING') {
    throw new DomainError('CONFLICT', `this async issuance request is ${r.status}: it can no longer be claimed`, 'claimToken');
  }
}

/** Opens the claim: tells the issuee what is needed and, where contact verification is set, sends a one-time code. */
export async function startAsyncIssuanceClaim(c: ClaimDeps, token: string) {
  let r = await requestForToken(c, token);
  if (r.status !== 'PENDING' || !hasVerification(r) || r.claim_verified_at) return claimView(c, r);
  if (r.otp_sent_at && Date.now() - r.otp_sent_at.getTime() < CODE_RESEND_INTERVAL_MS) {
    throw new DomainError('CONFLICT', `a code was sent less than ${CODE_RESEND_INTERVAL_MS / 1000} seconds ago; use it, or try again shortly`, 'claimToken');
  }
  if (r.otp_attempts >= MAX_CODE_ATTEMPTS) {
    // The last wrong code was counted but the request not yet failed (e.g. an interrupted call): finish that now.
    await updateIssuanceWorkflow(c.deps, r.id, 'claimToken', failUpdate, 'VERIFICATION_ATTEMPTS_EXCEEDED');
    return claimView(c, await requestForToken(c, token));
  }
  await updateIssuanceWorkflow(c.deps, r.id, 'claimToken', sendCodeUpdate);
  const sentTo = [...(r.verification_email ? [maskEmail(r.verification_email)] : []), ...(r.verification_phone ? [maskPhone(r.verification_phone)] : [])];
  r = await requestForToken(c, token);
  return claimView(c, r, sentTo);
}

async function failAfterWrongCodes(c: ClaimDeps, r: AsyncIssuanceRow): Promise<never> {
  await updateIssuanceWorkflow(c.deps, r.id, 'claimToken', failUpdate, 'VERIFICATION_ATTEMPTS_EXCEEDED');
  throw new DomainError('BAD_USER_INPUT', `is wrong; that was the last of ${MAX_CODE_ATTEMPTS} attempts: the async issuance request has FAILED`, 'code');
}

type CodeCheck = 'verified' | 'wrong' | 'exhausted';

/** Checks a code under the row lock, so concurrent guesses are counted one by one. */
async function checkCode(c: ClaimDeps, requestId: string, code: string | null | undefined): Promise<{ result: CodeCheck; left: number }> {
  return c.deps.db.transaction(async (trx) => {
    const r: AsyncIssuanceRow = await trx('async_issuance_requests').where({ id: requestId }).forUpdate().first();
    refuseFinal(r);
    if (r.claim_verified_at) return { result: 'verified' as const, left: MAX_CODE_ATTEMPTS - r.otp_attempts };
    if (r.otp_attempts >= MAX_CODE_ATTEMPTS) return { result: 'exhausted' as const, left: 0 };
    if (!code) throw new DomainError('BAD_USER_INPUT', 'is required: this request needs contact verification (startAsyncIssuanceClaim sends a code)', 'code');
    if (!r.otp_hash || !r.otp_expires_at) throw new DomainError('BAD_USER_INPUT', 'no code has been sent yet: call startAsyncIssuanceClaim first', 'code');
    if (r.otp_expires_at.getTime() <= Date.now()) {
      throw new DomainError('BAD_USER_INPUT', 'has expired: call startAsyncIssuanceClaim for a new one', 'code');
    }
    if (c.secrets.codeMatches(r.id, code.trim(), r.otp_hash)) {
      await trx('async_issuance_requests').where({ id: r.id }).update({ claim_verified_at: trx.fn.now(), otp_hash: null, otp_expires_at: null });
      return { result: 'verified' as const, left: MAX_CODE_ATTEMPTS - r.otp_attempts };
    }
    const attempts = r.otp_attempts + 1;
    await trx('async_issuance_requests').where({ id: r.id }).update({ otp_attempts: attempts });
    return { result: attempts >= MAX_CODE_ATTEMPTS ? ('exhausted' as const) : ('wrong' as const), left: MAX_CODE_ATTEMPTS - attempts };
  });
}

/** The captured photo: base64 (or a data: URL) of a JPEG or PNG of at most 2 MB. */
function parsePhoto(photo: string): { contentType: string; ext: string; bytes: Buffer } {
  const base64 = photo.replace(/^data:image\/[a-z]+;base64,/i, '');
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(base64)) throw new DomainError('BAD_USER_INPUT', 'must be a base64-encoded JPEG or PNG image', 'photo');
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > MAX_PHOTO_BYTES) throw new DomainError('BAD_USER_INPUT', `must be at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB`, 'photo');
  const type = PHOTO_TYPES.find(([, magic]) => magic.every((b, i) => bytes[i] === b));
  if (!type) throw new DomainError('BAD_USER_INPUT', 'must be a JPEG or PNG image', 'photo');
  return { contentType: type[0], ext: type[2], bytes };
}

async function storePhoto(c: ClaimDeps, r: AsyncIssuanceRow, photo: ReturnType<typeof parsePhoto>): Promise<void> {
  await c.deps.db.transaction(async (trx) => {
    const file = await insertStoredFile(trx, {
      organisationId: r.organisation_id,
      kind: 'async-issuance-photo',
      filename: `photo-${r.id}.${photo.ext}`,
      contentType: photo.contentType,
      content: photo.bytes,
      ttlDays: PHOTO_KEPT_MS / 86_400_000,
    });
    await trx('async_issuance_requests').where({ id: r.id, status: 'PENDING' }).update({ photo_file_id: file.id });
  });
}

/**
 * Completes the claim: checks the code (where verification is set; the 5th wrong code fails the
 * request) and the photo (where photoCapture), then has the workflow issue the pass.
 * Completing an already completed claim answers the same result again.
 */
export async function completeAsyncIssuanceClaim(c: ClaimDeps, token: string, code?: string | null, photo?: string | null) {
  const r = await requestForToken(c, token);
  if (r.status === 'COMPLETED') return claimView(c, r);
  refuseFinal(r);
  const parsedPhoto = r.photo_capture ? (photo ? parsePhoto(photo) : null) : null;
  if (r.photo_capture && !parsedPhoto && !r.photo_file_id) {
    throw new DomainError('BAD_USER_INPUT', 'is required: this request asks the issuee to capture their photo', 'photo');
  }
  if (hasVerification(r)) {
    const check = await checkCode(c, r.id, code);
    if (check.result === 'exhausted') return failAfterWrongCodes(c, r);
    if (check.result === 'wrong') {
      throw new DomainError('BAD_USER_INPUT', `is wrong; ${check.left} attempt${check.left === 1 ? '' : 's'} left`, 'code');
    }
  }
  if (parsedPhoto) await storePhoto(c, r, parsedPhoto);
  await updateIssuanceWorkflow(c.deps, r.id, 'claimToken', claimUpdate);
  return claimView(c, await requestForToken(c, token));
}
