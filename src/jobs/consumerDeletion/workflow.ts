import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  executeChild,
  log,
  proxyActivities,
  setCurrentDetails,
  sleep,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ConsumerDeletionActivities } from './activities';
import { OrganisationId, RequestId } from '../../temporal/searchAttributeKeys';
import { effectiveGraceMs } from '../../domain/forget';
import { forgetWorkflowId } from '../forget/defs';
import type { ConsumerDeletionInput, PassToForget } from './service';
import { forgetPass } from '../forget/workflow';

const { prepareConsumerDeletion, completeConsumerDeletion, passForgotten } = proxyActivities<ConsumerDeletionActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', maximumAttempts: 20 },
});
const { failConsumerDeletion } = proxyActivities<ConsumerDeletionActivities>({ startToCloseTimeout: '1 minute' });
const { removeOldConsumerOperations } = proxyActivities<ConsumerDeletionActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '10 minutes' },
});

/**
 * Deletes a consumer (seed 001): each digital card's pass is expired and forgotten (its forget
 * workflow, forget-<passId>, as a child; one already running is joined and waited for), then the
 * accounts, cards and digital cards are deleted and the operation ends SUCCESS, or FAILED with
 * the reason. Log lines carry the request's x-correlation-id.
 */
export async function consumerDeletion(input: ConsumerDeletionInput): Promise<{ status: string; passes: number }> {
  const attrs = { correlationId: input.correlationId, operationId: input.operationId };
  try {
    log.info('consumer deletion started', attrs);
    const passes = await prepareConsumerDeletion(input.operationId, input.gracePeriodMs, input.correlationId);
    setCurrentDetails(`Forgetting ${passes.length} passes (digital cards)`);
    log.info('passes expired, forgetting them', { ...attrs, passes: passes.length });
    await Promise.all(passes.map((pass) => forget(pass, input)));
    const { status } = await completeConsumerDeletion(input.operationId, input.correlationId);
    setCurrentDetails(`Consumer deleted: ${passes.length} passes forgotten`);
    log.info('consumer deleted', { ...attrs, passes: passes.length });
    return { status, passes: passes.length };
  } catch (err) {
    const cause = err instanceof ActivityFailure || err instanceof ChildWorkflowFailure ? err.cause : err;
    const code = cause instanceof ApplicationFailure && cause.type ? cause.type : 'DELETION_FAILED';
    const message = cause instanceof Error ? cause.message : String(cause);
    log.error('consumer deletion failed', { ...attrs, code, message });
    await failConsumerDeletion(input.operationId, code, `consumer deletion failed: ${message}`, input.correlationId);
    return { status: 'FAILED', passes: 0 };
  }
}

async function forget(pass: PassToForget, input: ConsumerDeletionInput): Promise<void> {
  const passId = pass.id;
  try {
    await executeChild(forgetPass, {
      workflowId: forgetWorkflowId(passId),
      args: [{ passId, organisationId: pass.organisationId, gracePeriodMs: input.gracePeriodMs }],
      typedSearchAttributes: [
        { key: OrganisationId, value: pass.organisationId },
        { key: RequestId, value: pass.serialNumber },
      ],
      // The forget outlives a cancelled deletion: a pass once expired for forgetting is forgotten.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `GDPR forget of a pass for consumer deletion ${input.operationId}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // Joined a forget already under way (or finished): wait until the details are erased.
    const every = Math.max(1000, Math.min(3_600_000, Math.floor(effectiveGraceMs(input.gracePeriodMs) / 4)));
    while (!(await passForgotten(passId))) await sleep(every);
  }
}

/** Started daily by a Schedule: consumer operations older than 3 months are removed (seed 001). */
export async function consumerOperationsCleanup(): Promise<{ removed: number }> {
  return { removed: await removeOldConsumerOperations() };
}
