import { proxyActivities } from '@temporalio/workflow';
import type { AuditReportActivities } from './activities';
import { dispatchKeys } from '../../notifications/keys';
import { startNotificationDelivery } from '../notifications/workflow';

const { buildAuditLogReport } = proxyActivities<AuditReportActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/** generateAuditLogReport's job (workflow ID audit-report-<reportId>): the CSV, the link, the emails. */
export async function auditLogReport(input: { reportId: string }): Promise<{ rows: number }> {
  const r = await buildAuditLogReport(input.reportId);
  await startNotificationDelivery(dispatchKeys.report(input.reportId));
  return r;
}
