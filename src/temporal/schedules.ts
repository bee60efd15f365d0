import { Client, ScheduleAlreadyRunning, ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import { consumerOperationsCleanup } from '../jobs/consumerDeletion/workflow';
import { dciRegistryWritesFold } from '../jobs/dci/workflow';
import { monthlyInvoicing } from '../jobs/invoicing/workflow';
import { orphanedRequestSweep } from '../jobs/orphanedRequests/workflow';

export interface ScheduleTarget {
  taskQueue: string;
  /** Schedule ID prefix; tests use their own so they never touch the real schedules. */
  idPrefix?: string;
}

/** Steward's Temporal Schedules: what runs on the calendar, independent of any API call. */
export function stewardSchedules(target: ScheduleTarget): ScheduleOptions[] {
  const prefix = target.idPrefix ?? 'steward';
  return [
    {
      scheduleId: `${prefix}-monthly-invoicing`,
      // 02:00 UTC on the 1st: the month before is complete, wallet callbacks for it have arrived.
      spec: { calendars: [{ dayOfMonth: 1, hour: 2, minute: 0, comment: 'monthly invoicing, previous month' }] },
      action: {
        type: 'startWorkflow',
        workflowType: monthlyInvoicing,
        workflowId: `${prefix}-monthly-invoicing`,
        taskQueue: target.taskQueue,
        args: [{}],
        staticSummary: 'Monthly invoicing: invoices every organisation for last month\'s distributed passes',
      },
      // A missed run (cluster down over the 1st) still happens when it is back, within a week.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
      memo: { owner: 'steward', doc: 'README.md#runbook' },
    },
    {
      scheduleId: `${prefix}-consumer-operations-cleanup`,
      spec: { calendars: [{ hour: 3, minute: 30, comment: 'daily: consumer operations older than 3 months are removed (seed 001)' }] },
      action: {
        type: 'startWorkflow',
        workflowType: consumerOperationsCleanup,
        workflowId: `${prefix}-consumer-operations-cleanup`,
        taskQueue: target.taskQueue,
        args: [],
        staticSummary: 'Removes consumer operations older than 3 months',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      memo: { owner: 'steward', doc: 'README.md#consumer-deletion-seed-001' },
    },
    {
      scheduleId: `${prefix}-orphaned-requests`,
      spec: { intervals: [{ every: '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: orphanedRequestSweep,
        workflowId: `${prefix}-orphaned-requests`,
        taskQueue: target.taskQueue,
        args: [{}],
        staticSummary: 'Starts the workflows of staged requests still without one a minute after they were recorded',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      memo: { owner: 'steward', doc: 'README.md#batch-distribution-distributepassbatch-distributepassescsv' },
    },
    {
      scheduleId: `${prefix}-registry-writes-fold`,
      spec: { intervals: [{ every: '5 minutes' }] },
      action: {
        type: 'startWorkflow',
        workflowType: dciRegistryWritesFold,
        workflowId: `${prefix}-registry-writes-fold`,
        taskQueue: target.taskQueue,
        args: [],
        staticSummary: 'Folds the rows of DCI registry writes into each registry\'s data version (kept search totals)',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      memo: { owner: 'steward', doc: 'README.md#dci-registries-seeds-002-and-004' },
    },
  ];
}

/**
 * Creates Steward's schedules, or brings existing ones up to date (spec, task queue): safe to run
 * at every worker start, from several workers at once.
 */
export async function ensureSchedules(client: Client, target: ScheduleTarget): Promise<string[]> {
  const ids: string[] = [];
  for (const options of stewardSchedules(target)) {
    try {
      await client.schedule.create(options);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
      }));
    }
    ids.push(options.scheduleId);
  }
  return ids;
}

/** Kept here for the admin CLI's import; the job's own client is src/jobs/invoicing/client.ts. */
export { startInvoicingRun } from '../jobs/invoicing/client';
