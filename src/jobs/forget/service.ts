import type { Knex } from 'knex';
import type { Principal } from '../../auth/tokens';
import type { Db } from '../../db/knex';
import type { Deps } from '../../deps';
import { effectiveGraceMs } from '../../domain/forget';
import { recordAudit } from '../../services/audit';
import { erasureTargets, ForgottenPass } from '../../services/erasure';
import { DomainError } from '../../services/errors';
import { expirePassesNow } from '../passExpiry/service';
import { startForget } from './client';

export interface ForgetPassInput {
  passId: string;
  organisationId: string;
  /** Wait between the expiry and the erasure (capped at 3 days by the workflow too). */
  gracePeriodMs: number;
}

/**
 * Records that a pass's end user is to be forgotten (once per pass: who asked, when), expires the
 * pass at once, and returns what the forget workflow needs. A pass already being forgotten
 * returns its existing request.
 */
export async function recordForgetRequest(
  db: Db | Knex.Transaction,
  pass: { id: string; organisation_id: string; serial_number: string },
  requestedBy: string,
  gracePeriodMs: number,
): Promise<{ eraseAfter: Date; created: boolean }> {
  const grace = effectiveGraceMs(gracePeriodMs);
  const inserted = await db('pass_forget_requests')
    .insert({
      pass_id: pass.id,
      organisation_id: pass.organisation_id,
      serial_number: pass.serial_number,
      requested_by: requestedBy,
      erase_after: db.raw(`now() + make_interval(secs => ?)`, [grace / 1000]),
    })
    .onConflict('pass_id')
    .ignore()
    .returning('erase_after');
  await expirePassesNow(db, [pass.id]);
  if (inserted.length) {
    await recordAudit(db, {
      organisationId: pass.organisation_id,
      actor: requestedBy,
      category: 'Passes',
      action: 'forgetUserDetailsForPass',
      subject: pass.serial_number,
      details: { passId: pass.id, gracePeriodMs: grace },
    });
    return { eraseAfter: inserted[0].erase_after, created: true };
  }
  const existing = await db('pass_forget_requests').where({ pass_id: pass.id }).first('erase_after');
  return { eraseAfter: existing.erase_after, created: false };
}

/** forgetUserDetailsForPass: expire now, erase after the grace period (within 3 days). */
export async function forgetUserDetailsForPass(deps: Deps, principal: Principal, serialNumber: string): Promise<string> {
  const pass = await deps.db('passes').where({ organisation_id: principal.org, serial_number: serialNumber }).first('id', 'organisation_id', 'serial_number', 'forgotten_at');
  if (!pass) throw new DomainError('NOT_FOUND', `no pass with serial number ${serialNumber}`, 'input.serialNumber');
  if (pass.forgotten_at) {
    return `The personal details of pass ${serialNumber} were already removed on ${pass.forgotten_at.toISOString()}`;
  }
  const request = await deps.db.transaction((trx) => recordForgetRequest(trx, pass, principal.email, deps.config.forgetGracePeriodMs));
  await startForget(deps, pass);
  return request.created
    ? `Pass ${serialNumber} has been expired; the end user's personal details will be removed by ${request.eraseAfter.toISOString()}`
    : `Pass ${serialNumber} is already being forgotten; the end user's personal details will be removed by ${request.eraseAfter.toISOString()}`;
}

/** The forget workflow's first step: the pass is expired (if it is not already). */
export async function expireForgottenPass(db: Db, passId: string): Promise<{ expired: boolean }> {
  return db.transaction(async (trx) => {
    const expired = await expirePassesNow(trx, [passId]);
    await trx('pass_forget_requests').where({ pass_id: passId, status: 'PENDING' }).update({ status: 'EXPIRED' });
    return { expired: expired.length > 0 };
  });
}

export type ErasureCounts = Record<string, number>;

/**
 * Erases the end user's personal details of the passes everywhere Steward keeps them (every
 * registered erasure target), in one transaction, and records what was erased. Idempotent: a
 * pass already erased is skipped.
 */
export async function erasePassPersonalData(db: Db, passIds: string[]): Promise<ErasureCounts> {
  return db.transaction(async (trx) => {
    const rows = await trx('passes')
      .whereIn('id', passIds)
      .whereNull('forgotten_at')
      .forUpdate()
      .select('id', 'serial_number', 'organisation_id', 'distribution_request_id');
    const passes: ForgottenPass[] = rows.map((r) => ({
      id: r.id,
      serialNumber: r.serial_number,
      organisationId: r.organisation_id,
      distributionRequestId: r.distribution_request_id,
    }));
    const counts: ErasureCounts = {};
    if (!passes.length) return counts;
    for (const target of erasureTargets()) counts[target.name] = await target.erase(trx, passes);
    await trx('passes').whereIn('id', passes.map((p) => p.id)).update({ forgotten_at: trx.fn.now(), last_modified: trx.fn.now(), modifier: 'system:gdpr' });
    for (const p of passes) {
      await trx('pass_forget_requests')
        .insert({ pass_id: p.id, organisation_id: p.organisationId, serial_number: p.serialNumber, requested_by: 'system', erase_after: trx.fn.now() })
        .onConflict('pass_id')
        .ignore();
      await trx('pass_forget_requests').where({ pass_id: p.id }).update({ status: 'ERASED', erased_at: trx.fn.now(), erased: JSON.stringify(counts) });
      await recordAudit(trx, {
        organisationId: p.organisationId,
        actor: 'system:gdpr',
        category: 'Passes',
        action: 'forgetUserDetailsForPass.erased',
        subject: p.serialNumber,
        details: { passId: p.id, ...counts },
      });
    }
    return counts;
  });
}
