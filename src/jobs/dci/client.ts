import type { Deps } from '../../deps';
import type { RegistryKey } from '../../domain/dci/registries';
import { startJob } from '../../temporal/jobs';
import { DciRequestAction, subscriptionWorkflowId } from './defs';
import { dciSearch, dciSubscribe, dciTxnStatus, dciUnsubscribe } from './workflow';

export { subscriptionWorkflowId };

/** Readable, deterministic workflow IDs of the DCI request jobs. */
export const requestWorkflowId = (action: DciRequestAction, registry: RegistryKey, correlationId: string) => `dci-${action}/${registry}/${correlationId}`;

/** The workflow of each asynchronous DCI request: each takes the request's correlation ID. */
const WORKFLOWS: Record<DciRequestAction, (correlationId: string) => Promise<unknown>> = {
  search: dciSearch,
  subscribe: dciSubscribe,
  unsubscribe: dciUnsubscribe,
  'txn-status': dciTxnStatus,
};

/** Starts (or joins) the job of a recorded asynchronous DCI request. */
export async function startDciRequest(deps: Deps & { temporal: NonNullable<Deps['temporal']> }, r: { action: DciRequestAction; registry: RegistryKey; correlationId: string; senderId: string }) {
  return startJob(deps.temporal, deps.config, WORKFLOWS[r.action], {
    workflowId: requestWorkflowId(r.action, r.registry, r.correlationId),
    args: [r.correlationId],
    // A DCI sender is not an organisation of ours; its ID is what operators search by.
    organisationId: r.senderId,
    requestId: r.correlationId,
    summary: `DCI ${r.action} for ${r.senderId} (${r.registry.toUpperCase()} registry)`,
  });
}
