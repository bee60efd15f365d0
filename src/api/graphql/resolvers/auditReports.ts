import { z } from 'zod';
import { AUDIT_CATEGORIES, generateAuditLogReport, getReportingRequest, paginateReportingRequests, REPORT_TYPES } from '../../../jobs/auditReports/service';
import type { AuditCategory } from '../../../services/audit';
import { batchSize, nonEmpty, parseInput } from '../inputs';
import type { Resolvers } from '../schema';

const MAX_LIST_WINDOW_MONTHS = 3;
const emptyAsNull = (v: string | null | undefined) => (v ? v : null);

const generateInput = z.object({
  startTime: z.date(),
  endTime: z.date(),
  emailAddresses: z.array(z.string().email('must be an email address')),
  emailAddressFilter: z.string().max(254, 'must be at most 254 characters').nullish().transform(emptyAsNull),
  categoryFilter: z
    .string()
    .nullish()
    .transform(emptyAsNull)
    .refine((c) => c === null || (AUDIT_CATEGORIES as string[]).includes(c), `must be one of ${AUDIT_CATEGORIES.join(', ')} (or empty)`)
    .transform((c) => c as AuditCategory | null),
});

const listInput = z
  .object({
    reportType: z
      .string()
      .nullish()
      .transform((t) => (!t || t === 'all' ? null : t))
      .refine((t) => t === null || (REPORT_TYPES as readonly string[]).includes(t), `must be one of ${REPORT_TYPES.join(', ')}, all or empty`),
    lastDocID: z.string().uuid('must be a lastDocID returned by a previous page').nullish(),
    lastModifiedTimestamp: z.date().nullish(),
    batchSize,
    startTime: z.date(),
    endTime: z.date(),
  })
  .superRefine((v, ctx) => {
    if (v.endTime < v.startTime) ctx.addIssue({ code: 'custom', path: ['endTime'], message: 'must not be before startTime' });
    const limit = new Date(v.startTime);
    limit.setUTCMonth(limit.getUTCMonth() + MAX_LIST_WINDOW_MONTHS);
    if (v.endTime > limit) ctx.addIssue({ code: 'custom', path: ['endTime'], message: 'must be at most 3 months after startTime' });
  });

export const auditReportResolvers: Resolvers = {
  Query: {
    async getReportingRequestByReportID(_root, { input }, { deps, principal, files }) {
      const { reportID } = parseInput(z.object({ reportID: nonEmpty }), input);
      return getReportingRequest(deps.db, files, principal.org, reportID);
    },
    async getPaginatedReportingRequest(_root, { input }, { deps, principal, files }) {
      return paginateReportingRequests(deps.db, files, principal.org, parseInput(listInput, input));
    },
  },
  Mutation: {
    async generateAuditLogReport(_root, { input }, { deps, principal }) {
      return generateAuditLogReport(deps, principal, parseInput(generateInput, input));
    },
  },
};
