import type { Client } from '@temporalio/client';
import type { Deps } from '../../deps';
import { OrganisationId, RequestId } from '../../temporal/searchAttributeKeys';
import { requireTemporal, startJob } from '../../temporal/jobs';
import { callbackDelivery } from './workflow';

/** A callback sent outside a job has its own workflow, whose ID is the delivery ID. */
export const callbackDeliveryWorkflowId = (deliveryId: string) => deliveryId;

/** Starts (or joins) the delivery workflow of a recorded callback. */
export async function startCallbackDelivery(deps: Deps, d: { deliveryId: string; organisationId: string; summary: string }) {
  return startJob(requireTemporal(deps.temporal, 'a callback delivery'), deps.config, callbackDelivery, {
    workflowId: callbackDeliveryWorkflowId(d.deliveryId),
    args: [d.deliveryId],
    organisationId: d.organisationId,
    requestId: d.deliveryId,
    summary: d.summary,
  });
}

/**
 * A new run of a delivery's workflow (an operator's retry): unlike startCallbackDelivery it does
 * not join a running one; the caller turns WorkflowExecutionAlreadyStartedError into a refusal.
 */
export async function restartCallbackDelivery(client: Client, taskQueue: string, d: { deliveryId: string; organisationId: string | null; summary: string }) {
  return client.workflow.start(callbackDelivery, {
    args: [d.deliveryId],
    taskQueue,
    workflowId: callbackDeliveryWorkflowId(d.deliveryId),
    typedSearchAttributes: [
      ...(d.organisationId ? [{ key: OrganisationId, value: d.organisationId }] : []),
      { key: RequestId, value: d.deliveryId },
    ],
    staticSummary: d.summary,
  });
}
