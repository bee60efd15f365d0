import type { Principal } from '../../auth/tokens';
import type { Db } from '../../db/knex';
import type { Deps } from '../../deps';
import { keysetPage } from '../../db/pagination';
import { AuditCategory, recordAudit } from '../../services/audit';
import { csvGzipStream } from '../../services/csvFiles';
import { DomainError } from '../../services/errors';
import type { FileStore } from '../../services/files';
import { dispatchKeys } from '../../notifications/keys';
import { enqueueNotifications } from '../../notifications/outbox';
import { startAuditLogReport } from './client';

export const AUDIT_CATEGORIES: AuditCategory[] = [
  'Beacons', 'Billing', 'Distributions', 'Invalidations', 'Geolocations', 'Login', 'Organisation', 'Pass Designs', 'Passes', 'Reporting', 'Serial Numbers', 'Signing', 'Users',
];
export const AUDIT_REPORT_MAX_WINDOW_MS = 7 * 86_400_000;
export const REPORT_TYPES = ['PassReport', 'AuditLogReport'] as const;

export interface AuditReportRequest {
  startTime: Date;
  endTime: Date;
  emailAddresses: string[];
  emailAddressFilter: string | null;
  categoryFilter: AuditCategory | null;
}

/** generateAuditLogReport: records the reporting request and starts its workflow. */
export async function generateAuditLogReport(deps: Deps, principal: Principal, r: AuditReportRequest): Promise<{ message: string; reportID: string }> {
  if (r.endTime <= r.startTime) throw new DomainError('BAD_USER_INPUT', 'must be after startTime', 'input.endTime');
  if (r.endTime.getTime() - r.startTime.getTime() > AUDIT_REPORT_MAX_WINDOW_MS) {
    throw new DomainError('BAD_USER_INPUT', 'must be at most 7 days after startTime (7 day maximum limit on Audit Log report generation)', 'input.endTime');
  }
  const id = await deps.db.transaction(async (trx) => {
    const [row] = await trx('reporting_requests')
      .insert({
        organisation_id: principal.org,
        report_type: 'AuditLogReport',
        requester: principal.email,
        window_start: r.startTime,
        window_end: r.endTime,
        email_filter: r.emailAddressFilter,
        category_filter: r.categoryFilter,
        email_addresses: r.emailAddresses,
      })
      .returning('id');
    await recordAudit(trx, { organisationId: principal.org, actor: principal.email, category: 'Reporting', action: 'generateAuditLogReport', subject: row.id });
    return row.id as string;
  });
  await startAuditLogReport(deps, { organisationId: principal.org, reportId: id, startTime: r.startTime, endTime: r.endTime });
  return { message: `Audit Log report ${id} requested: it will be available for download once generated`, reportID: id };
}

const COLUMNS = ['timestamp', 'category', 'action', 'user', 'subject', 'details'];

async function* auditPages(db: Db, report: any): AsyncIterable<Record<string, unknown>[]> {
  let after = 0;
  for (;;) {
    const q = db('audit_events')
      .where('organisation_id', report.organisation_id)
      .andWhere('created_at', '>=', report.window_start)
      .andWhere('created_at', '<=', report.window_end)
      .andWhere('id', '>', after)
      .orderBy('id')
      .limit(2000);
    if (report.category_filter) q.andWhere('category', report.category_filter);
    if (report.email_filter) q.andWhereRaw('lower(actor) = lower(?)', [report.email_filter]);
    const rows = await q;
    if (!rows.length) return;
    after = rows[rows.length - 1].id;
    yield rows.map((e) => ({ timestamp: e.created_at, category: e.category, action: e.action, user: e.actor, subject: e.subject, details: e.details }));
  }
}

/**
 * The report's CSV (one row per audit event in the window, filters applied), stored for the
 * organisation, the request completed and the download link emailed. Idempotent.
 */
export async function buildAuditLogReport(db: Db, files: FileStore, reportId: string): Promise<{ rows: number }> {
  const report = await db('reporting_requests').where({ id: reportId }).first();
  if (report.status === 'complete') return { rows: report.row_count };
  let rows = 0;
  async function* counted() {
    for await (const page of auditPages(db, report)) {
      rows += page.length;
      yield page;
    }
  }
  await db.transaction(async (trx) => {
    const locked = await trx('reporting_requests').where({ id: reportId }).forUpdate().first('status');
    if (locked.status === 'complete') return;
    // Streamed into the file's parts as the events are read; a retry after a failure starts over (the transaction rolled back).
    const file = await files.store(trx, {
      organisationId: report.organisation_id, kind: 'audit-log-report', filename: `audit-log-${reportId}.csv`, contentType: 'text/csv', contentEncoding: 'gzip',
      content: csvGzipStream(COLUMNS, counted()),
    });
    await trx('reporting_requests').where({ id: reportId }).update({ status: 'complete', file_id: file.id, row_count: rows, last_modified: trx.fn.now() });
    const body = `Download: ${file.url}\nThe link expires on ${file.expiresAt.toISOString()} and needs a sign-in to the organisation.`;
    await enqueueNotifications(
      trx,
      (report.email_addresses as string[]).map((to) => ({
        organisationId: report.organisation_id,
        channel: 'Email' as const,
        recipient: to,
        kind: 'report' as const,
        dispatchKey: dispatchKeys.report(reportId),
        reference: reportId,
        subject: `Audit Log report ${reportId} is ready (${rows} events)`,
        body,
      })),
    );
  });
  return { rows };
}

/** Seed 003's ReportingRequest. */
export function toReportingRequest(r: any, files: FileStore) {
  return {
    reportType: r.report_type,
    status: r.status,
    created: r.created_at,
    requester: r.requester,
    lastModified: r.last_modified,
    downloadURL: r.file_id ? files.url(r.file_id, r.organisation_id, r.file_expires_at) : '',
  };
}

const withFile = (db: Db) =>
  db('reporting_requests as r').leftJoin('stored_files as f', 'f.id', 'r.file_id').select('r.*', 'f.expires_at as file_expires_at');

export async function getReportingRequest(db: Db, files: FileStore, organisationId: string, reportId: string) {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(reportId);
  const row = uuid ? await withFile(db).where({ 'r.id': reportId, 'r.organisation_id': organisationId }).first() : undefined;
  if (!row) throw new DomainError('NOT_FOUND', `no reporting request ${reportId}`, 'input.reportID');
  return toReportingRequest(row, files);
}

export async function paginateReportingRequests(
  db: Db,
  files: FileStore,
  organisationId: string,
  p: { reportType: string | null; startTime: Date; endTime: Date; batchSize: number; lastModifiedTimestamp?: Date | null; lastDocID?: string | null },
) {
  const q = withFile(db).where('r.organisation_id', organisationId).andWhere('r.last_modified', '>=', p.startTime).andWhere('r.last_modified', '<=', p.endTime);
  if (p.reportType) q.andWhere('r.report_type', p.reportType);
  const page = await keysetPage<any>(q, 'r.last_modified', { batchSize: p.batchSize, lastTimestamp: p.lastModifiedTimestamp, lastDocID: p.lastDocID });
  return { reportingRequestList: page.rows.map((r) => toReportingRequest(r, files)), lastDocID: page.lastDocID, lastModifiedTimestamp: page.lastTimestamp };
}
