/** Pure rules of pass invalidation (seed 003's InvalidationRequest). */

function addYearsUtc(d: Date, years: number): Date {
  const r = new Date(d.getTime());
  r.setUTCFullYear(d.getUTCFullYear() + years);
  // 29 February plus a year lands on 1 March: take 28 February, the anniversary in that year.
  if (r.getUTCMonth() !== d.getUTCMonth()) r.setUTCDate(0);
  return r;
}

/** The latest allowed expiry: the pass's next creation anniversary after `now`, plus one year. */
export function invalidationLimit(createdAt: Date, now: Date): Date {
  let years = 1;
  while (addYearsUtc(createdAt, years).getTime() <= now.getTime()) years++;
  return addYearsUtc(createdAt, years + 1);
}

export interface PassForInvalidation {
  organisation_id: string;
  is_expired: boolean;
  expired_timestamp: Date | null;
  created_at: Date;
}

/** Why this pass cannot be invalidated at `expiryTime` by `organisationId`, or null if it can. */
export function invalidationRefusal(pass: PassForInvalidation | undefined, organisationId: string, expiryTime: Date, now: Date): string | null {
  if (!pass || pass.organisation_id !== organisationId) return 'no pass with this serial number in your organisation';
  if (pass.is_expired) return `the pass has already expired (at ${pass.expired_timestamp?.toISOString() ?? 'an unknown time'})`;
  const limit = invalidationLimit(pass.created_at, now);
  if (expiryTime.getTime() > limit.getTime()) {
    return `expiryTime ${expiryTime.toISOString()} is after this pass's limit ${limit.toISOString()} (its next creation anniversary + 1 year)`;
  }
  return null;
}

/** A staged row of an invalidation request as a chunk reads it. */
export interface InvalidationRow {
  rowNumber: number;
  serial: string;
  /** The first row of the whole request holding this serial (its own number when it is the first). */
  firstRow: number | null;
}

/**
 * Why a row cannot be applied, or null. A repeated serial is judged against the request's staged
 * rows (the first row holding it wins), so the verdict does not depend on which chunk runs first.
 */
export function invalidationRowError(row: InvalidationRow, pass: PassForInvalidation | undefined, organisationId: string, expiryTime: Date, now: Date): string | null {
  if (!row.serial) return 'serialNumber is empty';
  if (row.firstRow !== null && row.firstRow < row.rowNumber) return `serial number ${row.serial} is already in row ${row.firstRow} of this request`;
  return invalidationRefusal(pass, organisationId, expiryTime, now);
}
