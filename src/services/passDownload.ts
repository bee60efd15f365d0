import type { Db } from '../db/knex';
import { DomainError } from './errors';
import type { PassLinks } from './passLinks';

export const DEVICE_OSES = ['Apple', 'Google'] as const;
export type DeviceOS = (typeof DEVICE_OSES)[number];

/** What a pass download link shows about its pass: nothing personal. */
export interface LinkedPass {
  serialNumber: string;
  organisationId: string;
  organisationName: string;
  passDesignTitle: string;
  /** Available, or why the pass cannot be downloaded now. */
  status: 'Available' | 'Invalidated' | 'NotYetAvailable' | 'LinkExpired';
  availableFrom: Date | null;
  availableUntil: Date | null;
}

/** Whether a pass can be downloaded at `now`: not invalidated, inside its distribution's link window. */
export function linkStatus(p: { is_expired: boolean; link_start_time: Date | null; link_end_time: Date | null }, now: Date): LinkedPass['status'] {
  if (p.is_expired) return 'Invalidated';
  if (p.link_start_time && now < p.link_start_time) return 'NotYetAvailable';
  if (p.link_end_time && now >= p.link_end_time) return 'LinkExpired';
  return 'Available';
}

/**
 * Opens a passApiKey / download-link `details` (tamper-evident JWE) and finds its pass. Throws
 * BAD_USER_INPUT naming `field` for a tampered key and NOT_FOUND for a pass that no longer exists.
 */
export async function openPassLink(db: Db, links: PassLinks, apiKey: string, field: string, now = new Date()): Promise<LinkedPass> {
  let details;
  try {
    details = await links.open(apiKey);
  } catch {
    throw new DomainError('BAD_USER_INPUT', 'the encrypted pass details are invalid or have been tampered with', field);
  }
  const row = await db('passes as p')
    .join('pass_designs as d', 'd.id', 'p.pass_design_id')
    .join('organisations as o', 'o.id', 'p.organisation_id')
    .where({ 'p.serial_number': details.serialNumber, 'p.organisation_id': details.organisationId })
    .first('p.serial_number', 'p.organisation_id', 'p.is_expired', 'p.link_start_time', 'p.link_end_time', 'd.title as design_title', 'o.name as org_name');
  if (!row) throw new DomainError('NOT_FOUND', `pass ${details.serialNumber} not found`);
  return {
    serialNumber: row.serial_number,
    organisationId: row.organisation_id,
    organisationName: row.org_name,
    passDesignTitle: row.design_title,
    status: linkStatus(row, now),
    availableFrom: row.link_start_time,
    availableUntil: row.link_end_time,
  };
}

const UNAVAILABLE: Record<Exclude<LinkedPass['status'], 'Available'>, (p: LinkedPass) => string> = {
  Invalidated: () => 'the pass has been invalidated and can no longer be downloaded',
  NotYetAvailable: (p) => `the pass cannot be downloaded before ${p.availableFrom!.toISOString()}`,
  LinkExpired: (p) => `the pass download link expired at ${p.availableUntil!.toISOString()}`,
};

/**
 * externalPassDownload: the URL an external application sends its user to, for one wallet.
 * Another organisation's pass is simply not found, as everywhere else.
 */
export async function externalPassDownloadUrl(
  db: Db,
  links: PassLinks,
  organisationId: string,
  input: { deviceOS: DeviceOS; encryptedDetails: string },
): Promise<string> {
  const pass = await openPassLink(db, links, input.encryptedDetails, 'input.encryptedDetails');
  if (pass.organisationId !== organisationId) throw new DomainError('NOT_FOUND', `pass ${pass.serialNumber} not found`);
  if (pass.status !== 'Available') throw new DomainError('FORBIDDEN', UNAVAILABLE[pass.status](pass));
  return `${links.downloadLink(input.encryptedDetails)}&deviceOS=${input.deviceOS}`;
}

export function unavailableReason(p: LinkedPass): string | null {
  return p.status === 'Available' ? null : UNAVAILABLE[p.status](p);
}
