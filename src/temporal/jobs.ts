import { Client, WorkflowExecutionAlreadyStartedError, type WorkflowStartOptions } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Workflow } from '@temporalio/common';
import type { Config } from '../config';
import { OrganisationId, RequestId } from './searchAttributes';

export interface JobStart<W extends Workflow> {
  /** Deterministic: the same request always maps to the same workflow ID. */
  workflowId: string;
  args: Parameters<W>;
  organisationId: string;
  requestId: string;
  /** Shown in the Temporal UI's workflow list (IDs and counts only, never personal data). */
  summary: string;
}

/**
 * Starts a job's workflow, or joins the one already running under the same ID, with the search
 * attributes operators use to find it in the Temporal UI. Each kind's `src/jobs/<kind>/client.ts`
 * calls it with its workflow function, so the arguments are type-checked against the workflow.
 */
export async function startJob<W extends Workflow>(
  client: Client,
  config: Config,
  workflow: W,
  job: JobStart<W>,
): Promise<{ workflowId: string; started: boolean }> {
  try {
    const options = {
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
    } as unknown as WorkflowStartOptions<W>;
    const handle = await client.workflow.start(workflow, options);
    return { workflowId: handle.workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId: job.workflowId, started: false };
    throw err;
  }
}

/** The Temporal client of a process that starts jobs; a clear error where there is none. */
export function requireTemporal(client: Client | undefined, what: string): Client {
  if (!client) throw new Error(`${what} needs a Temporal client (TEMPORAL_ADDRESS)`);
  return client;
}
