import type { Principal } from '../../auth/tokens';
import type { Deps } from '../../deps';
import { requireTemporal, startJob } from '../../temporal/jobs';
import { invalidation } from './workflow';

/** One workflow per invalidation request. */
export const invalidationWorkflowId = (organisationId: string, requestId: string) => `invalidation-${organisationId}-${requestId}`;

/** The request's workflow: chunks and results for batches, and the durable timer of a future expiry. */
export async function startInvalidation(deps: Deps, principal: Principal, requestId: string, expiryTime: Date, batch: boolean) {
  return startJob(requireTemporal(deps.temporal, 'invalidation'), deps.config, invalidation, {
    workflowId: invalidationWorkflowId(principal.org, requestId),
    args: [{ requestId, organisationId: principal.org, expiryTimeMs: expiryTime.getTime(), batch }],
    organisationId: principal.org,
    requestId,
    summary: `${batch ? 'Batch' : 'Individual'} invalidation ${requestId}: passes expire at ${expiryTime.toISOString()}`,
  });
}
