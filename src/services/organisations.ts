import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/knex';

export const orgIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be 2-63 lowercase letters, digits or dashes, starting with a letter or digit');

export const callbackUrlSchema = z
  .string()
  .url('must be an absolute URL')
  .refine((u) => /^https?:\/\//.test(u), 'must use http or https');

export interface Organisation {
  id: string;
  name: string;
  callback_url: string | null;
  webhook_secret: string;
  price_per_pass: number;
  /** Batch results emailed to the organisation's users (on by default). */
  results_email: boolean;
  created_at: Date;
  updated_at: Date;
}

/** Standard Webhooks secrets are "whsec_" + base64 of 24-64 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64')}`;
}

export async function createOrganisation(
  db: Db,
  input: { id: string; name: string; callbackUrl?: string; pricePerPass?: number },
): Promise<Organisation> {
  const [org] = await db('organisations')
    .insert({
      id: input.id,
      name: input.name,
      callback_url: input.callbackUrl ?? null,
      webhook_secret: newWebhookSecret(),
      price_per_pass: input.pricePerPass ?? 10,
    })
    .returning('*');
  return org;
}

export async function updateOrganisation(
  db: Db,
  id: string,
  changes: { name?: string; callbackUrl?: string | null; pricePerPass?: number; resultsEmail?: boolean },
): Promise<Organisation | undefined> {
  const patch: Record<string, unknown> = { updated_at: db.fn.now() };
  if (changes.name !== undefined) patch.name = changes.name;
  if (changes.callbackUrl !== undefined) patch.callback_url = changes.callbackUrl;
  if (changes.pricePerPass !== undefined) patch.price_per_pass = changes.pricePerPass;
  if (changes.resultsEmail !== undefined) patch.results_email = changes.resultsEmail;
  const [org] = await db('organisations').where({ id }).update(patch).returning('*');
  return org;
}

export async function getOrganisation(db: Db, id: string): Promise<Organisation | undefined> {
  return db('organisations').where({ id }).first();
}
