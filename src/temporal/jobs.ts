import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config } from '../config';
import { OrganisationId, RequestId } from './searchAttributes';

export interface JobStart {
  workflowType: string;
  /** Deterministic: the same request always maps to the same workflow ID. */
  workflowId: string;
  args: unknown[];
  organisationId: string;
  requestId: string;
  /** Shown in the Temporal UI's workflow list (IDs and counts only, never personal data). */
  summary: string;
}

/**
 * Starts a job's workflow, or joins the one already running under the same ID, with the search
 * attributes operators use to find it in the Temporal UI.
 */
export async function startJob(client: Client, config: Config, job: JobStart): Promise<{ workflowId: string; started: boolean }> {
  try {
    const handle = await client.workflow.start(job.workflowType, {
      taskQueue: config.temporal.taskQueue,
      workflowId: job.workflowId,
      args: job.args,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      // A finished job is never started again by a retried request.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: OrganisationId, value: job.organisationId },
        { key: RequestId, value: job.requestId },
      ],
      staticSummary: job.summary,
    });
    return { workflowId: handle.workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId: job.workflowId, started: false };
    throw err;
  }
}
