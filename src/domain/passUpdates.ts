import { z } from 'zod';
import { MAX_BEACONS, MAX_LOCATIONS, payloadSchema } from './passDetails';

/**
 * Input rules of seed 003's updatePassPayload and updatePassUserDetails. For user details an
 * omitted (or null) value leaves that part of the pass unchanged; an empty map or list clears it;
 * anything else replaces it whole.
 */
const serialNumber = z.string().trim().min(1, 'must not be empty');

export const updatePassPayloadSchema = z.object({
  serialNumber,
  // An empty string removes the payload, as at distribution.
  payload: payloadSchema.transform((p) => (p === '' ? null : p)),
});

const titles = (noun: string, max: number) =>
  z
    .array(z.string({ error: `each ${noun} must be a title` }).trim().min(1, `a ${noun} title must not be empty`))
    .max(max, `at most ${max} ${noun}s per pass`)
    .refine((list) => new Set(list).size === list.length, `lists a ${noun} more than once`)
    .nullish()
    .transform((v) => v ?? undefined);

export const updatePassUserDetailsSchema = z
  .object({
    serialNumber,
    dynamicFieldData: z
      .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be a map of strings' })
      .nullish()
      .transform((v) => v ?? undefined),
    beacons: titles('beacon', MAX_BEACONS),
    locations: titles('location', MAX_LOCATIONS),
  })
  .refine((u) => u.dynamicFieldData !== undefined || u.beacons !== undefined || u.locations !== undefined, {
    message: 'nothing to update: give dynamicFieldData, beacons or locations (an empty map or list clears them)',
  });

export type UpdatePassPayload = z.infer<typeof updatePassPayloadSchema>;
export type UpdatePassUserDetailsInput = z.infer<typeof updatePassUserDetailsSchema>;
