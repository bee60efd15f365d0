import type { Deps } from '../src/deps';
import { buildAuditLogReport } from '../src/services/auditReports';
import { FileStore } from '../src/services/files';

/** Audit log reports: report ID in, row count out. */
export function auditReportActivities(deps: Deps) {
  const files = new FileStore(deps.config);
  return {
    async buildAuditLogReport(reportId: string) {
      return buildAuditLogReport(deps.db, files, reportId);
    },
  };
}
