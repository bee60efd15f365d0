import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { OrganisationId, RequestId } from '../../temporal/searchAttributeKeys';
import { deliveryWorkflowId } from '../../notifications/keys';
import { notificationDelivery } from './workflow';

export { deliveryWorkflowId };

/**
 * Starts the delivery run of a dispatch key from outside a workflow (the API after its transaction
 * committed, the admin CLI): joins a running one, starts a new one after a finished one.
 */
export async function startDeliveryRun(client: Client, taskQueue: string, dispatchKey: string, organisationId: string | null): Promise<string> {
  const handle = await client.workflow.start(notificationDelivery, {
    taskQueue,
    workflowId: deliveryWorkflowId(dispatchKey),
    args: [dispatchKey],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [...(organisationId ? [{ key: OrganisationId, value: organisationId }] : []), { key: RequestId, value: dispatchKey }],
    staticSummary: `Email/SMS delivery ${dispatchKey}`,
  });
  return handle.workflowId;
}
