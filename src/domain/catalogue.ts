import { z } from 'zod';

/**
 * Input rules of seed 003's catalogue records: BLE beacons, geolocations and pass delivery
 * templates. Each message names the rule; the edge prefixes the field path.
 */
const title = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const messageText = z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const beaconId = (name: string) =>
  z.number().int(`${name} must be a whole number`).min(0, 'must be within 0..65535').max(65535, 'must be within 0..65535').nullish().transform((v) => v ?? null);

export const beaconRequestSchema = z.object({
  title,
  // Apple stores beacon UUIDs upper case; normalising makes the same beacon compare equal.
  proximityUUID: z
    .string()
    .trim()
    .regex(UUID, 'must be a UUID such as ABA71543-A2C5-4FB1-AFCF-A3AB01234567')
    .transform((u) => u.toUpperCase()),
  major: beaconId('major'),
  minor: beaconId('minor'),
  messageText,
});
export type BeaconRequest = z.infer<typeof beaconRequestSchema>;

export const locationRequestSchema = z.object({
  title,
  latitude: z.number().min(-90, 'must be within -90..90').max(90, 'must be within -90..90'),
  longitude: z.number().min(-180, 'must be within -180..180').max(180, 'must be within -180..180'),
  altitude: z.number().nullish().transform((v) => v ?? null),
  messageText,
});
export type LocationRequest = z.infer<typeof locationRequestSchema>;

export const TEMPLATE_TYPES = ['Email', 'SMS', 'iMessage', 'WhatsApp'] as const;

const imageUrl = z
  .string()
  .trim()
  .refine((u) => u === '' || /^https?:\/\/[^\s/]+/i.test(u), 'must be an absolute http(s) URL, or empty when the template has no image');

export const templateRequestSchema = z
  .object({
    title,
    type: z.enum(TEMPLATE_TYPES, { error: `must be one of ${TEMPLATE_TYPES.join(', ')}` }),
    subject: z.string().max(200, 'must be at most 200 characters'),
    preheader: z.string().max(200, 'must be at most 200 characters'),
    body: z.string().trim().min(1, 'must not be empty').max(10_000, 'must be at most 10000 characters'),
    footer: z.string().max(2_000, 'must be at most 2000 characters'),
    imageURL: imageUrl,
  })
  .superRefine((t, ctx) => {
    if (t.type === 'Email' && !t.subject.trim()) ctx.addIssue({ code: 'custom', path: ['subject'], message: 'must not be empty for an Email template' });
  });
export type TemplateRequest = z.infer<typeof templateRequestSchema>;

/** passTemplateType filter of getPaginatedPassDeliveryTemplates: a template type, or All. */
export const templateTypeFilterSchema = z
  .enum(['All', ...TEMPLATE_TYPES], { error: `must be All or one of ${TEMPLATE_TYPES.join(', ')}` })
  .nullish()
  .transform((v) => (v && v !== 'All' ? v : null));
