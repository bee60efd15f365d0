import { fieldOf, formatIssues } from './issues';
import { z } from 'zod';

/** Limits of seed 003's DistributionPassDetailsInput. */
export const MAX_BEACONS = 10;
export const MAX_LOCATIONS = 10;
export const MAX_PAYLOAD_BYTES = 64;
export const DELIVERY_METHODS = ['None', 'Email', 'SMS'] as const;
const YEAR_MS = 366 * 24 * 3600 * 1000;

/** A validated, normalised pass row: what a pass is created from. */
export interface PassDetails {
  externalReferenceID: string;
  payload: string | null;
  dynamicFields: Record<string, string>;
  deliveryMethod: (typeof DELIVERY_METHODS)[number];
  deliveryAddress: string;
  deliverySalutation: string;
  deliveryName: string;
  deliveryTemplate: string;
  beacons: string[];
  locations: string[];
  expiredTimestamp: Date | null;
}

export const payloadSchema = z
  .string()
  .refine((p) => /^[\x20-\x7e]*$/.test(p), 'must contain only printable ASCII characters')
  .refine((p) => Buffer.byteLength(p) <= MAX_PAYLOAD_BYTES, `must be at most ${MAX_PAYLOAD_BYTES} bytes`);

const optionalText = z
  .string()
  .max(256, 'must be at most 256 characters')
  .nullish()
  .transform((v) => v ?? '');

const rowSchema = z.object({
  externalReferenceID: z.string({ error: 'is required (use an empty string when not needed)' }).max(256, 'must be at most 256 characters'),
  payload: payloadSchema.nullish().transform((v) => (v === undefined || v === '' ? null : v)),
  dynamicFields: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'is required and must be a map of strings' }),
  deliveryMethod: z
    .enum([...DELIVERY_METHODS, ''], { error: `must be one of ${DELIVERY_METHODS.join(', ')}` })
    .nullish()
    .transform((v) => (v ? v : 'None') as PassDetails['deliveryMethod']),
  deliveryAddress: optionalText,
  deliverySalutation: optionalText,
  deliveryName: optionalText,
  deliveryTemplate: optionalText,
  beacons: z.array(z.string()).max(MAX_BEACONS, `at most ${MAX_BEACONS} beacons per pass`).nullish().transform((v) => v ?? []),
  locations: z.array(z.string()).max(MAX_LOCATIONS, `at most ${MAX_LOCATIONS} locations per pass`).nullish().transform((v) => v ?? []),
  // A Date from GraphQL's Time scalar, or an RFC 3339 string from CSV or staged JSON.
  expiredTimestamp: z
    .union([z.date(), z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp such as 2023-03-23T17:21:00Z' })], {
      error: 'must be an RFC 3339 timestamp such as 2023-03-23T17:21:00Z',
    })
    .nullish()
    .transform((v) => (v ? new Date(v) : null)),
  // Only used by organisations with external serials, which Steward does not offer: accepted, ignored.
  serialNumber: z.string().nullish(),
});

/** What is wrong with a pass's full set of dynamic field values for its design: missing or unknown keys. */
export function dynamicFieldErrors(fields: Record<string, string>, dynamicFieldKeys: readonly string[]): string[] {
  const missing = dynamicFieldKeys.filter((k) => !(k in fields));
  const unknown = Object.keys(fields).filter((k) => !dynamicFieldKeys.includes(k));
  return [
    ...(missing.length ? [`missing required field(s) ${missing.join(', ')}`] : []),
    ...(unknown.length ? [`unknown field(s) ${unknown.join(', ')} (the design has ${dynamicFieldKeys.join(', ') || 'none'})`] : []),
  ];
}

export type RowResult = { ok: true; value: PassDetails } | { ok: false; error: string };

const EMAIL = z.string().email();
export const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Validates one requested pass against its design. A bad row is reported, never thrown: in a
 * distribution each row fails alone, with the field and the rule in its reason.
 */
export function validatePassDetails(raw: unknown, dynamicFieldKeys: readonly string[], now: Date): RowResult {
  const parsed = rowSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, error: formatIssues(parsed.error.issues, (p) => fieldOf(p) || 'row') };
  }
  const { serialNumber: _ignored, ...row } = parsed.data;
  const errors = dynamicFieldErrors(row.dynamicFields, dynamicFieldKeys).map((e) => `dynamicFields: ${e}`);
  if (row.deliveryMethod === 'Email' && !EMAIL.safeParse(row.deliveryAddress).success) {
    errors.push('deliveryAddress: must be an email address when deliveryMethod is Email');
  }
  if (row.deliveryMethod === 'SMS' && !E164.test(row.deliveryAddress)) {
    errors.push('deliveryAddress: must be a phone number in E.164 format (+447700900123) when deliveryMethod is SMS');
  }
  if (row.expiredTimestamp) {
    if (row.expiredTimestamp.getTime() <= now.getTime()) errors.push('expiredTimestamp: must be in the future');
    else if (row.expiredTimestamp.getTime() > now.getTime() + YEAR_MS) {
      errors.push('expiredTimestamp: cannot be more than a year after distribution');
    }
  }
  return errors.length ? { ok: false, error: errors.join('; ') } : { ok: true, value: row };
}
