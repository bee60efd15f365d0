import type { Client } from '@temporalio/client';
import { RequestId } from '../../temporal/searchAttributeKeys';
import { monthlyInvoicing } from './workflow';

/** A month's invoicing run started by hand: the month is the ID, so a second request joins it. */
export const invoicingWorkflowId = (month: string) => `invoicing/${month}`;

/**
 * Runs invoicing for one month now (operators: a missed or corrected month). The workflow ID is
 * the month, so a second request while one runs joins it instead of starting another.
 */
export async function startInvoicingRun(client: Client, taskQueue: string, month: string) {
  return client.workflow.start(monthlyInvoicing, {
    args: [{ month }],
    taskQueue,
    workflowId: invoicingWorkflowId(month),
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: RequestId, value: `invoicing/${month}` }],
    staticSummary: `Invoicing of ${month} (started by hand)`,
  });
}
