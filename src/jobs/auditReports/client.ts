import type { Deps } from '../../deps';
import { requireTemporal, startJob } from '../../temporal/jobs';
import { auditLogReport } from './workflow';

/** One workflow per reporting request. */
export const auditReportWorkflowId = (reportId: string) => `audit-report-${reportId}`;

/** Starts (or joins) the job that builds a recorded audit log report. */
export async function startAuditLogReport(deps: Deps, r: { organisationId: string; reportId: string; startTime: Date; endTime: Date }) {
  return startJob(requireTemporal(deps.temporal, 'an audit log report'), deps.config, auditLogReport, {
    workflowId: auditReportWorkflowId(r.reportId),
    args: [{ reportId: r.reportId }],
    organisationId: r.organisationId,
    requestId: r.reportId,
    summary: `Audit log report ${r.startTime.toISOString()} – ${r.endTime.toISOString()}`,
  });
}
