import type { Deps } from '../../deps';
import { buildAuditLogReport } from './service';
import { FileStore } from '../../services/files';

/** Audit log reports: report ID in, row count out. */
export function createAuditReportActivities(deps: Deps) {
  const files = new FileStore(deps.config);
  return {
    async buildAuditLogReport(reportId: string) {
      return buildAuditLogReport(deps.db, files, reportId);
    },
  };
}

export type AuditReportActivities = ReturnType<typeof createAuditReportActivities>;
