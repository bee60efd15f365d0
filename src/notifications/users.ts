import type { Knex } from 'knex';
import { z } from 'zod';
import { ROLES, type Role } from '../auth/tokens';
import type { Db } from '../db/knex';
import { DomainError } from '../services/errors';

/**
 * An organisation's users (the seed's portal users): who receives batch results by email. Seed
 * 003: "email the final results to any users with Owner, Admin, Pass-Issuer and Api-Dev permissions".
 */
export const RESULT_ROLES: readonly Role[] = ['Owner', 'Admin', 'Pass-Issuer', 'Api-Dev'];

export const userEmailSchema = z.string({ error: 'is required' }).trim().toLowerCase().email('must be an email address');
export const rolesSchema = z
  .string({ error: `is required (${ROLES.join(', ')})` })
  .transform((s) => [...new Set(s.split(',').map((r) => r.trim()).filter(Boolean))])
  .pipe(z.array(z.enum(ROLES, { error: `each role must be one of ${ROLES.join(', ')}` })).min(1, 'needs at least one role'));

export interface OrganisationUser {
  organisation_id: string;
  email: string;
  roles: Role[];
  created_at: Date;
}

/** Adds a user, or replaces the roles of the one with that address. */
export async function addOrganisationUser(db: Db, organisationId: string, email: string, roles: Role[]): Promise<OrganisationUser> {
  if (!(await db('organisations').where({ id: organisationId }).first('id'))) throw new DomainError('NOT_FOUND', `no organisation "${organisationId}"`, 'org');
  const [u] = await db('organisation_users')
    .insert({ organisation_id: organisationId, email: email.toLowerCase(), roles })
    .onConflict(['organisation_id', 'email'])
    .merge(['roles'])
    .returning('*');
  return u;
}

export async function removeOrganisationUser(db: Db, organisationId: string, email: string): Promise<boolean> {
  return (await db('organisation_users').where({ organisation_id: organisationId, email: email.toLowerCase() }).delete()) > 0;
}

export async function listOrganisationUsers(db: Db, organisationId: string): Promise<OrganisationUser[]> {
  return db('organisation_users').where({ organisation_id: organisationId }).orderBy('email');
}

/** Who gets a batch's results: the users with a result role, and the job's issuer; each address once. */
export async function resultRecipients(trx: Knex | Knex.Transaction, organisationId: string, jobIssuer: string | null): Promise<string[]> {
  const users = await trx('organisation_users').where({ organisation_id: organisationId }).whereRaw('roles && ?::text[]', [[...RESULT_ROLES]] as never).select('email');
  const all = [...users.map((u: { email: string }) => u.email), ...(jobIssuer && z.string().email().safeParse(jobIssuer).success ? [jobIssuer.toLowerCase()] : [])];
  return [...new Set(all)].sort();
}
