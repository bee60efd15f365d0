import { z } from 'zod';
import { isAfter, monthOf, parseMonthName } from '../../../domain/reportingPeriod';
import { passDesignMonthlyReport, usageReport } from '../../../services/reports';
import { nonEmpty, parseInput } from '../inputs';
import type { Resolvers } from '../schema';

/** The seed's reporting period: "Month Year" (e.g. "October 2022"), not after the current month. */
export const reportingPeriodSchema = z
  .string()
  .transform((text, ctx) => {
    const month = parseMonthName(text);
    if (!month) {
      ctx.addIssue({ code: 'custom', message: `must be a month and year such as "October 2022", got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    if (isAfter(month, monthOf(new Date()))) {
      ctx.addIssue({ code: 'custom', message: 'must not be a future month' });
      return z.NEVER;
    }
    return month;
  });

export const reportResolvers: Resolvers = {
  Query: {
    async getPassDesignMonthlyReport(_root, { input }, { deps, principal }) {
      const { passDesignTitle, reportingPeriod } = parseInput(z.object({ passDesignTitle: nonEmpty, reportingPeriod: reportingPeriodSchema }), input);
      return passDesignMonthlyReport(deps.db, principal.org, passDesignTitle, reportingPeriod);
    },
    async getUsageReporting(_root, { input }, { deps, principal }) {
      const { reportingPeriod } = parseInput(z.object({ reportingPeriod: reportingPeriodSchema }), input);
      return usageReport(deps.db, principal.org, reportingPeriod);
    },
  },
};
