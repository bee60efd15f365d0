/**
 * Every workflow Steward runs. This module and what it imports are bundled into the deterministic
 * workflow sandbox: import only workflow code here (no Node APIs, no database).
 */
export { scheduledPing } from './scheduledPing';
export { callbackDelivery } from './callbackDelivery';
export { batchDistribution } from './batchDistribution';
export { asyncIssuance } from './asyncIssuance';
export { monthlyInvoicing } from './monthlyInvoicing';
export { invalidation } from './invalidation';
export { passExpiryScheduler } from './passExpiryScheduler';
export { dciSearch, dciSubscribe, dciSubscription, dciUnsubscribe, dciTxnStatus } from './dci';
export { forgetPass } from './forgetPass';
export { consumerDeletion } from './consumerDeletion';
export { consumerOperationsCleanup } from './consumerOperationsCleanup';
export { auditLogReport } from './auditLogReport';
export { walletPushes } from './walletPushes';
