import type { Deps } from '../../deps';
import { markWorkflowStarted } from '../../services/batchRequests';
import { requireTemporal, startJob } from '../../temporal/jobs';
import { invalidation } from './workflow';

/** One workflow per invalidation request. */
export const invalidationWorkflowId = (organisationId: string, requestId: string) => `invalidation-${organisationId}-${requestId}`;

/**
 * The request's workflow: chunks and results for batches, and the durable timer of a future expiry.
 * Records that it started (`workflow_started_at`), so the orphan sweeper leaves the request alone.
 */
export async function startInvalidation(deps: Deps, organisationId: string, requestId: string, expiryTime: Date, batch: boolean) {
  const started = await startJob(requireTemporal(deps.temporal, 'invalidation'), deps.config, invalidation, {
    workflowId: invalidationWorkflowId(organisationId, requestId),
    args: [{ requestId, organisationId, expiryTimeMs: expiryTime.getTime(), batch }],
    organisationId,
    requestId,
    summary: `${batch ? 'Batch' : 'Individual'} invalidation ${requestId}: passes expire at ${expiryTime.toISOString()}`,
  });
  await markWorkflowStarted(deps.db, 'invalidation', requestId);
  return started;
}
