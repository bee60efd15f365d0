import type { Deps } from '../../deps';
import { requireTemporal, startJob } from '../../temporal/jobs';
import type { ConsumerDeletionInput } from './service';
import { consumerDeletion } from './workflow';

/** One workflow per consumer operation. */
export const consumerDeletionWorkflowId = (operationId: string) => `consumer-deletion-${operationId}`;

/** Starts (or joins) a delete operation's workflow. */
export async function startConsumerDeletion(deps: Deps, input: ConsumerDeletionInput, o: { organisationId: string; issuerId: string }) {
  return startJob(requireTemporal(deps.temporal, 'consumer deletion'), deps.config, consumerDeletion, {
    workflowId: consumerDeletionWorkflowId(input.operationId),
    args: [input],
    organisationId: o.organisationId,
    requestId: input.operationId,
    summary: `Consumer deletion ${input.operationId} (issuer ${o.issuerId}): accounts, cards and digital cards deleted, passes forgotten`,
  });
}
