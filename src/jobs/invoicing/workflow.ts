import { continueAsNew, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { InvoicingActivities } from './activities';
import { monthKey, monthOf, parseMonthKey, previousMonth } from '../../domain/reportingPeriod';
import { RequestId, TemporalScheduledStartTime } from '../../temporal/searchAttributeKeys';

const { organisationsToInvoice, generateMonthlyInvoice } = proxyActivities<InvoicingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

export interface MonthlyInvoicingInput {
  /** "2026-10"; omitted: the month before the scheduled (or start) time. */
  month?: string;
  /** Carried across continue-as-new. */
  afterOrganisationId?: string | null;
  created?: number;
  existing?: number;
}

export interface MonthlyInvoicingResult {
  month: string;
  created: number;
  existing: number;
}

const PAGE = 50;

/**
 * Invoices every organisation that distributed passes in a month, from its usage and prices.
 * Started by the monthly Schedule (src/temporal/schedules.ts) or by hand for a given month;
 * re-running a month finds the invoices already written and creates none twice.
 */
export async function monthlyInvoicing(input: MonthlyInvoicingInput = {}): Promise<MonthlyInvoicingResult> {
  const scheduledAt = workflowInfo().typedSearchAttributes.get(TemporalScheduledStartTime) ?? new Date();
  const month = input.month ?? monthKey(previousMonth(monthOf(scheduledAt)));
  if (!parseMonthKey(month)) throw new Error(`month must look like 2026-10, got ${JSON.stringify(month)}`);
  upsertSearchAttributes([{ key: RequestId, value: `invoicing/${month}` }]);

  let after = input.afterOrganisationId ?? null;
  let created = input.created ?? 0;
  let existing = input.existing ?? 0;
  for (;;) {
    setCurrentDetails(`Invoicing ${month}: ${created} invoices created, ${existing} already existed`);
    const ids = await organisationsToInvoice(month, after, PAGE);
    if (ids.length === 0) break;
    const results = await Promise.all(ids.map((id) => generateMonthlyInvoice(id, month)));
    created += results.filter((r) => r.created).length;
    existing += results.filter((r) => !r.created).length;
    after = ids[ids.length - 1];
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof monthlyInvoicing>({ month, afterOrganisationId: after, created, existing });
    }
  }
  setCurrentDetails(`Invoiced ${month}: ${created} invoices created, ${existing} already existed`);
  return { month, created, existing };
}
