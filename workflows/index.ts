/**
 * Every workflow Steward runs: the entry point Temporal bundles into its deterministic workflow
 * sandbox. Each job kind's workflow lives in `src/jobs/<kind>/workflow.ts`; this module only
 * re-exports them. What these import must be workflow code (no Node APIs, no database): see
 * test/unit/importDirection.test.ts.
 */
export { callbackDelivery } from '../src/jobs/callbacks/workflow';
export { batchDistribution } from '../src/jobs/distribution/workflow';
export { asyncIssuance } from '../src/jobs/asyncIssuance/workflow';
export { monthlyInvoicing } from '../src/jobs/invoicing/workflow';
export { invalidation } from '../src/jobs/invalidation/workflow';
export { passExpiryScheduler } from '../src/jobs/passExpiry/workflow';
export { dciSearch, dciSubscribe, dciSubscription, dciUnsubscribe, dciTxnStatus, dciRegistryWritesFold } from '../src/jobs/dci/workflow';
export { forgetPass } from '../src/jobs/forget/workflow';
export { consumerDeletion, consumerOperationsCleanup } from '../src/jobs/consumerDeletion/workflow';
export { auditLogReport } from '../src/jobs/auditReports/workflow';
export { notificationDelivery } from '../src/jobs/notifications/workflow';
export { walletPushes } from '../src/jobs/walletPushes/workflow';
export { orphanedRequestSweep } from '../src/jobs/orphanedRequests/workflow';
