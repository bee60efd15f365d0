import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import type { Presentation } from '../services/passDesigns';

/**
 * Everything a wallet shows of one pass, loaded in two queries: the pass with its design and
 * organisation, then the beacons and locations it names. Pure builders (apple/passJson.ts,
 * google/objects.ts) turn it into each wallet's format.
 */
export interface PassContent {
  passId: string;
  serialNumber: string;
  organisationId: string;
  organisationName: string;
  designId: string;
  designTitle: string;
  passType: string;
  presentation: Presentation;
  dynamicFieldKeys: string[];
  dynamicFieldData: Record<string, string>;
  payload: string | null;
  authenticationToken: string;
  isExpired: boolean;
  expiredTimestamp: Date | null;
  linkStartTime: Date | null;
  createdAt: Date;
  /** The update tag: moves with every change of what the pass shows. */
  updatedAt: Date;
  beacons: { proximityUuid: string; major: number | null; minor: number | null; messageText: string }[];
  locations: { latitude: number; longitude: number; altitude: number | null; messageText: string }[];
}

/** Apple allows at most 10 locations and 10 beacons per pass. */
export const MAX_RELEVANCE = 10;

export async function loadPassContent(db: Db | Knex.Transaction, serialNumber: string): Promise<PassContent | undefined> {
  const row = await db('passes as p')
    .join('pass_designs as d', 'd.id', 'p.pass_design_id')
    .join('organisations as o', 'o.id', 'p.organisation_id')
    .where('p.serial_number', serialNumber)
    .first(
      'p.id', 'p.serial_number', 'p.organisation_id', 'o.name as org_name', 'd.id as design_id', 'd.title', 'd.pass_type', 'd.presentation',
      'd.dynamic_field_keys', 'p.dynamic_field_data', 'p.payload', 'p.authentication_token', 'p.is_expired', 'p.expired_timestamp',
      'p.link_start_time', 'p.created_at', 'p.pass_updated_at', 'p.beacons', 'p.locations',
    );
  if (!row) return undefined;
  const [beacons, locations] = await Promise.all([
    row.beacons.length
      ? db('beacons').where({ organisation_id: row.organisation_id }).whereIn('title', row.beacons).select('title', 'proximity_uuid', 'major', 'minor', 'message_text')
      : [],
    row.locations.length
      ? db('locations').where({ organisation_id: row.organisation_id }).whereIn('title', row.locations).select('title', 'latitude', 'longitude', 'altitude', 'message_text')
      : [],
  ]);
  // In the order the pass names them, so the first ten are the ones kept.
  const ordered = <T extends { title: string }>(titles: string[], rows: T[]) => titles.map((t) => rows.find((r) => r.title === t)).filter((r): r is T => !!r).slice(0, MAX_RELEVANCE);
  return {
    passId: row.id,
    serialNumber: row.serial_number,
    organisationId: row.organisation_id,
    organisationName: row.org_name,
    designId: row.design_id,
    designTitle: row.title,
    passType: row.pass_type,
    presentation: row.presentation,
    dynamicFieldKeys: row.dynamic_field_keys,
    dynamicFieldData: row.dynamic_field_data ?? {},
    payload: row.payload,
    authenticationToken: row.authentication_token,
    isExpired: row.is_expired,
    expiredTimestamp: row.expired_timestamp,
    linkStartTime: row.link_start_time,
    createdAt: row.created_at,
    updatedAt: row.pass_updated_at,
    beacons: ordered(row.beacons, beacons).map((b: any) => ({ proximityUuid: b.proximity_uuid, major: b.major, minor: b.minor, messageText: b.message_text })),
    locations: ordered(row.locations, locations).map((l: any) => ({ latitude: l.latitude, longitude: l.longitude, altitude: l.altitude, messageText: l.message_text })),
  };
}

/** The design's field rows (primary, secondary, auxiliary, back) with the pass's values, in position order. */
export function designFields(content: PassContent) {
  const p = content.presentation;
  const value = (key: string) => content.dynamicFieldData[key] ?? '';
  const row = (f: Presentation['primaryFields']) =>
    [...(f?.items ?? [])].sort((a, b) => a.position - b.position).map((i) => ({ key: i.key, label: i.label, value: value(i.key) }));
  return {
    primary: row(p.primaryFields),
    secondary: row(p.secondaryFields),
    auxiliary: row(p.auxiliaryFields),
    back: [...(p.backFields?.items ?? [])]
      .sort((a, b) => a.position - b.position)
      .map((i) => ({ key: i.key, label: i.label, value: i.isDynamic ? value(i.key) : i.value })),
  };
}

/** What the barcode encodes: the pass's payload when it has one, its serial number otherwise. */
export function barcodeMessage(content: PassContent): string {
  return content.payload || content.serialNumber;
}
