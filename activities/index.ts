import type { Deps } from '../src/deps';
import { callbackActivities } from './callbacks';
import { distributionActivities } from './distribution';
import { invalidationActivities } from './invalidation';
import { asyncIssuanceActivities } from './asyncIssuance';
import { invoicingActivities } from './invoicing';
import { dciActivities } from './dci';
import { forgetActivities } from './forget';
import { consumerActivities } from './consumers';
import { auditReportActivities } from './auditReports';
import { walletPushActivities } from './walletPushes';

/**
 * Every activity Steward registers, closed over the shared dependencies (database, config).
 * Activities receive and return IDs and counts only: personal data stays in PostgreSQL.
 */
export function createActivities(deps: Deps) {
  return {
    ...callbackActivities(deps),
    ...distributionActivities(deps),
    ...invalidationActivities(deps),
    ...asyncIssuanceActivities(deps),
    ...invoicingActivities(deps),
    ...dciActivities(deps),
    ...forgetActivities(deps),
    ...consumerActivities(deps),
    ...auditReportActivities(deps),
    ...walletPushActivities(deps),
    /** Liveness probe for the worker: proves the activity side reaches PostgreSQL. */
    async databaseTime(): Promise<string> {
      const { rows } = await deps.db.raw('select now() as now');
      return new Date(rows[0].now).toISOString();
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
