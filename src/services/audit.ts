import type { Knex } from 'knex';

export type AuditCategory =
  | 'Beacons' | 'Billing' | 'Distributions' | 'Invalidations' | 'Geolocations' | 'Login'
  | 'Organisation' | 'Pass Designs' | 'Passes' | 'Reporting' | 'Serial Numbers' | 'Signing' | 'Users';

export interface AuditEvent {
  organisationId: string;
  actor: string;
  category: AuditCategory;
  action: string;
  subject?: string;
  /** IDs and counts only: audit entries outlive erasure, so never personal details. */
  details?: Record<string, string | number | boolean | null>;
}

/** Records an audit event in the caller's transaction, so it exists exactly when the change does; returns its ID. */
export async function recordAudit(db: Knex | Knex.Transaction, e: AuditEvent): Promise<number> {
  const [row] = await db('audit_events').insert({
    organisation_id: e.organisationId,
    actor: e.actor,
    category: e.category,
    action: e.action,
    subject: e.subject ?? null,
    details: JSON.stringify(e.details ?? {}),
  }).returning('id');
  return row.id;
}
