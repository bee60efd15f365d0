import { Context } from '@temporalio/activity';
import type { Deps } from '../../deps';
import { parseMonthKey } from '../../domain/reportingPeriod';
import { generateInvoice, organisationsWithUsage } from './service';

const month = (key: string) => {
  const m = parseMonthKey(key);
  if (!m) throw new Error(`month must look like 2026-10, got ${JSON.stringify(key)}`);
  return m;
};

/** Monthly invoicing: organisation IDs in, invoice numbers and counts out. */
export function createInvoicingActivities(deps: Deps) {
  return {
    async organisationsToInvoice(monthKey: string, afterOrganisationId: string | null, limit: number): Promise<string[]> {
      return organisationsWithUsage(deps.db, month(monthKey), afterOrganisationId, limit);
    },
    async generateMonthlyInvoice(organisationId: string, monthKey: string): Promise<{ invoiceNumber: string; created: boolean }> {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? 'unknown';
      const r = await generateInvoice(deps.db, organisationId, month(monthKey), workflowId);
      return { invoiceNumber: r.invoiceNumber, created: r.created };
    },
  };
}

export type InvoicingActivities = ReturnType<typeof createInvoicingActivities>;
