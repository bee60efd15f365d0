import type { Deps } from '../../deps';
import { logger } from '../../logger';
import { startBatchDistribution } from '../distribution/client';
import { startInvalidation } from '../invalidation/client';

/**
 * The API stages a request in PostgreSQL, commits, then starts its workflow. A process killed in
 * between (or a Temporal outage at that moment) leaves a staged request no workflow will ever run,
 * `Pending` forever unless the client retries. The `steward-orphaned-requests` Schedule runs this
 * every minute: each request still without a workflow a minute after it was recorded gets one
 * (started, or joined if it exists after all: workflow IDs are deterministic, so never twice).
 */
export const ORPHAN_MIN_AGE_MS = 60_000;
const SWEEP_LIMIT = 200;

export async function startOrphanedRequests(deps: Deps, opts: { olderThanMs?: number } = {}): Promise<{ started: string[] }> {
  const cutoff = new Date(Date.now() - (opts.olderThanMs ?? ORPHAN_MIN_AGE_MS));
  const started: string[] = [];
  // Conditions repeat the partial indexes' predicates (migration 20261202060001), so these read only orphans.
  const distributions = await deps.db('distribution_requests')
    .whereNull('workflow_started_at')
    .andWhere('is_batch_request', true)
    .andWhere('created_at', '<', cutoff)
    .orderBy('created_at')
    .limit(SWEEP_LIMIT)
    .select('id', 'organisation_id', 'batch_count', 'source');
  for (const r of distributions) {
    await startBatchDistribution(deps, { organisationId: r.organisation_id, requestId: r.id, batchCount: r.batch_count, source: r.source });
    started.push(r.id);
  }
  const invalidations = await deps.db('invalidation_requests')
    .whereNull('workflow_started_at')
    .andWhereRaw("(is_batch_request OR status = 'Scheduled')")
    .andWhere('created_at', '<', cutoff)
    .orderBy('created_at')
    .limit(SWEEP_LIMIT)
    .select('id', 'organisation_id', 'expiry_time', 'is_batch_request');
  for (const r of invalidations) {
    await startInvalidation(deps, r.organisation_id, r.id, r.expiry_time, r.is_batch_request);
    started.push(r.id);
  }
  if (started.length) logger.warn({ requestIds: started }, `started workflows of ${started.length} staged requests that had none`);
  return { started };
}
