import type { Deps } from '../src/deps';
import { createCallbackActivities } from '../src/jobs/callbacks/activities';
import { createDistributionActivities } from '../src/jobs/distribution/activities';
import { createInvalidationActivities } from '../src/jobs/invalidation/activities';
import { createPassExpiryActivities } from '../src/jobs/passExpiry/activities';
import { createAsyncIssuanceActivities } from '../src/jobs/asyncIssuance/activities';
import { createInvoicingActivities } from '../src/jobs/invoicing/activities';
import { createDciActivities } from '../src/jobs/dci/activities';
import { createForgetActivities } from '../src/jobs/forget/activities';
import { createConsumerDeletionActivities } from '../src/jobs/consumerDeletion/activities';
import { createAuditReportActivities } from '../src/jobs/auditReports/activities';
import { createNotificationActivities } from '../src/jobs/notifications/activities';
import { createWalletPushActivities } from '../src/jobs/walletPushes/activities';
import { createOrphanedRequestActivities } from '../src/jobs/orphanedRequests/activities';

/**
 * Every activity Steward registers (the worker's entry point), closed over the shared
 * dependencies (database, config). Each job kind's factory lives in `src/jobs/<kind>/activities.ts`.
 * Activities receive and return IDs and counts only: personal data stays in PostgreSQL.
 */
export function createActivities(deps: Deps) {
  return {
    ...createCallbackActivities(deps),
    ...createDistributionActivities(deps),
    ...createInvalidationActivities(deps),
    ...createPassExpiryActivities(deps),
    ...createAsyncIssuanceActivities(deps),
    ...createInvoicingActivities(deps),
    ...createDciActivities(deps),
    ...createForgetActivities(deps),
    ...createConsumerDeletionActivities(deps),
    ...createAuditReportActivities(deps),
    ...createNotificationActivities(deps),
    ...createWalletPushActivities(deps),
    ...createOrphanedRequestActivities(deps),
    /** Liveness probe for the worker: proves the activity side reaches PostgreSQL. */
    async databaseTime(): Promise<string> {
      const { rows } = await deps.db.raw('select now() as now');
      return new Date(rows[0].now).toISOString();
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
