import { z } from 'zod';
import { DomainError, invalid } from '../../services/errors';

/** Parses a resolver's `input` argument; GraphQL already checked types, this checks the rules. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, input: unknown): z.infer<T> {
  if (input === undefined || input === null) throw invalid({ issues: [{ path: [], message: 'is required' }] }, 'input');
  const r = schema.safeParse(input);
  if (!r.success) throw invalid(r.error, 'input');
  return r.data;
}

export const MAX_BATCH_SIZE = 100;
export const batchSize = z.number().int().min(1, 'must be at least 1').max(MAX_BATCH_SIZE, `must be at most ${MAX_BATCH_SIZE}`);
export const nonEmpty = z.string().trim().min(1, 'must not be empty');

const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key header must be 1-255 visible ASCII characters').optional();

/** The Idempotency-Key header of a job-starting mutation, checked. */
export function parseIdempotencyKey(key: string | undefined): string | undefined {
  const r = idempotencyKey.safeParse(key);
  if (!r.success) throw new DomainError('BAD_USER_INPUT', r.error.issues[0].message, 'Idempotency-Key');
  return r.data;
}

/** The async pages a staging function reads, from an in-memory list. */
export async function* inPages<T>(items: T[], size = 1000): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

export const linkWindow = { startTime: z.date().nullish(), endTime: z.date().nullish() };
