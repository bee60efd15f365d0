import { z } from 'zod';
import { fromZod } from './errors';

/** Parses a resolver's `input` argument; GraphQL already checked types, this checks the rules. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, input: unknown): z.infer<T> {
  if (input === undefined || input === null) throw fromZod(new z.ZodError([{ code: 'custom', path: [], message: 'is required', input }]));
  const r = schema.safeParse(input);
  if (!r.success) throw fromZod(r.error);
  return r.data;
}

export const MAX_BATCH_SIZE = 100;
export const batchSize = z.number().int().min(1, 'must be at least 1').max(MAX_BATCH_SIZE, `must be at most ${MAX_BATCH_SIZE}`);
export const nonEmpty = z.string().trim().min(1, 'must not be empty');
