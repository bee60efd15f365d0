import type { Deps } from '../../deps';
import { markWorkflowStarted } from '../../services/batchRequests';
import { requireTemporal, startJob } from '../../temporal/jobs';
import { batchDistribution } from './workflow';

/** One workflow per batch distribution request. */
export const distributionWorkflowId = (organisationId: string, requestId: string) => `distribution-${organisationId}-${requestId}`;

/**
 * Starts (or joins) a staged batch's workflow and records that it did (`workflow_started_at`): from
 * the API right after staging, from a retry with the same Idempotency-Key, and from the orphan sweeper.
 */
export async function startBatchDistribution(deps: Deps, r: { organisationId: string; requestId: string; batchCount: number; source: 'api' | 'csv' }) {
  const started = await startJob(requireTemporal(deps.temporal, 'batch distribution'), deps.config, batchDistribution, {
    workflowId: distributionWorkflowId(r.organisationId, r.requestId),
    args: [{ requestId: r.requestId, organisationId: r.organisationId }],
    organisationId: r.organisationId,
    requestId: r.requestId,
    summary: `Batch distribution ${r.requestId}: ${r.batchCount} passes (${r.source === 'csv' ? 'CSV upload' : 'API'})`,
  });
  await markWorkflowStarted(deps.db, 'distribution', r.requestId);
  return started;
}
