import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens';
import type { Db } from '../db/knex';
import { dynamicFieldErrors } from '../domain/passDetails';
import type { UpdatePassPayload, UpdatePassUserDetailsInput } from '../domain/passUpdates';
import { recordAudit } from './audit';
import { DomainError } from './errors';

/**
 * Changes to an active pass (seed 003 updatePassPayload / updatePassUserDetails). The pass's
 * lastModified moves, which is what Apple devices see through the web service's "passes updated
 * since" query. An expired pass (invalidated, or past its expiry time) cannot be changed.
 */
async function lockActivePass(trx: Knex.Transaction, organisationId: string, serialNumber: string, now: Date) {
  const pass = await trx('passes as p')
    .join('pass_designs as d', 'd.id', 'p.pass_design_id')
    .where({ 'p.organisation_id': organisationId, 'p.serial_number': serialNumber })
    .forUpdate('p')
    .first('p.id', 'p.serial_number', 'p.is_expired', 'p.expired_timestamp', 'd.dynamic_field_keys', 'd.title as design_title');
  if (!pass) throw new DomainError('NOT_FOUND', `pass ${serialNumber} not found`, 'input.serialNumber');
  const expiredAt: Date | null = pass.expired_timestamp;
  if (pass.is_expired || (expiredAt && expiredAt <= now)) {
    throw new DomainError(
      'CONFLICT',
      `pass ${serialNumber} expired${expiredAt ? ` at ${expiredAt.toISOString()}` : ''}; only active passes can be updated`,
      'input.serialNumber',
    );
  }
  return pass as { id: string; serial_number: string; dynamic_field_keys: string[]; design_title: string };
}

/** The titles among `wanted` that the organisation has no record of, in the given order. */
async function unknownTitles(trx: Knex.Transaction, table: 'beacons' | 'locations', organisationId: string, wanted: string[]): Promise<string[]> {
  if (!wanted.length) return [];
  const found = new Set((await trx(table).where({ organisation_id: organisationId }).whereIn('title', wanted).pluck('title')) as string[]);
  return wanted.filter((t) => !found.has(t));
}

export async function updatePassPayload(db: Db, principal: Principal, input: UpdatePassPayload, now = new Date()): Promise<string> {
  return db.transaction(async (trx) => {
    const pass = await lockActivePass(trx, principal.org, input.serialNumber, now);
    await trx('passes').where({ id: pass.id }).update({ payload: input.payload, last_modified: now, modifier: principal.email });
    await recordAudit(trx, {
      organisationId: principal.org,
      actor: principal.email,
      category: 'Passes',
      action: 'updatePassPayload',
      subject: pass.serial_number,
      details: { passId: pass.id, cleared: input.payload === null },
    });
    return input.payload === null ? `Pass ${pass.serial_number} payload removed` : `Pass ${pass.serial_number} payload updated`;
  });
}

export async function updatePassUserDetails(db: Db, principal: Principal, input: UpdatePassUserDetailsInput, now = new Date()): Promise<string> {
  return db.transaction(async (trx) => {
    const pass = await lockActivePass(trx, principal.org, input.serialNumber, now);
    const changes: Record<string, unknown> = {};
    if (input.dynamicFieldData !== undefined) {
      // All values or none: a non-empty map replaces the pass's data and must match the design.
      const errors = Object.keys(input.dynamicFieldData).length ? dynamicFieldErrors(input.dynamicFieldData, pass.dynamic_field_keys) : [];
      if (errors.length) {
        throw new DomainError('BAD_USER_INPUT', `${errors.join('; ')}; give every custom field of "${pass.design_title}", or an empty map to clear them`, 'input.dynamicFieldData');
      }
      changes.dynamic_field_data = JSON.stringify(input.dynamicFieldData);
    }
    for (const [field, table, noun] of [['beacons', 'beacons', 'beacon'], ['locations', 'locations', 'location']] as const) {
      const titles = input[field];
      if (titles === undefined) continue;
      const unknown = await unknownTitles(trx, table, principal.org, titles);
      if (unknown.length) {
        throw new DomainError('BAD_USER_INPUT', `unknown ${noun} title(s) ${unknown.map((t) => `"${t}"`).join(', ')}; create them first`, `input.${field}`);
      }
      changes[field] = titles;
    }
    await trx('passes').where({ id: pass.id }).update({ ...changes, last_modified: now, modifier: principal.email });
    const updated = Object.keys(changes).map((c) => (c === 'dynamic_field_data' ? 'dynamicFieldData' : c));
    await recordAudit(trx, {
      organisationId: principal.org,
      actor: principal.email,
      category: 'Passes',
      action: 'updatePassUserDetails',
      subject: pass.serial_number,
      details: { passId: pass.id, updated: updated.join(',') },
    });
    return `Pass ${pass.serial_number} updated: ${updated.join(', ')}`;
  });
}
