import { proxyActivities } from '@temporalio/workflow';
import type { AuditReportActivities } from './activities';

const { buildAuditLogReport } = proxyActivities<AuditReportActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/** generateAuditLogReport's job (workflow ID audit-report-<reportId>): the CSV, the link, the emails. */
export async function auditLogReport(input: { reportId: string }): Promise<{ rows: number }> {
  return buildAuditLogReport(input.reportId);
}
