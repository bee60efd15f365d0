import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import type { Deps } from '../../deps';
import { DomainError } from '../../services/errors';
import { requireTemporal, startJob } from '../../temporal/jobs';
import type { AsyncIssuanceInput } from './defs';
import { asyncIssuance } from './workflow';

/** The issuance-expiry workflow of one request. */
export const asyncIssuanceWorkflowId = (requestId: string) => `async-issuance-${requestId}`;

const client = (deps: Deps) => requireTemporal(deps.temporal, 'async issuance');

/** Starts the issuance-expiry workflow of a recorded request (ID deterministic: a retry is a no-op). */
export async function startIssuanceWorkflow(deps: Deps, r: { id: string; organisation_id: string; expires_on: Date }): Promise<void> {
  const input: AsyncIssuanceInput = { requestId: r.id, expiresOn: r.expires_on.toISOString() };
  await startJob(client(deps), deps.config, asyncIssuance, {
    workflowId: asyncIssuanceWorkflowId(r.id),
    args: [input],
    organisationId: r.organisation_id,
    requestId: r.id,
    summary: `Async issuance request ${r.id}: waits for the claim until ${input.expiresOn}`,
  });
}

/**
 * Runs an update on a request's workflow and waits for its result. A refusal by the workflow
 * (e.g. the request became final meanwhile) becomes a CONFLICT naming the reason.
 */
export async function updateIssuanceWorkflow<Ret, Args extends unknown[]>(
  deps: Deps,
  requestId: string,
  field: 'id' | 'claimToken',
  def: UpdateDefinition<Ret, Args>,
  ...args: Args
): Promise<Ret> {
  const handle = client(deps).workflow.getHandle(asyncIssuanceWorkflowId(requestId));
  try {
    // executeUpdate's overloads split on empty/non-empty args; one generic call serves both.
    return await handle.executeUpdate<Ret, [unknown]>(def as unknown as UpdateDefinition<Ret, [unknown]>, { args: args as unknown as [unknown] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause instanceof ApplicationFailure ? err.cause.message : err.message;
      throw new DomainError('CONFLICT', cause, field);
    }
    throw err;
  }
}
