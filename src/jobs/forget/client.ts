import type { Deps } from '../../deps';
import { requireTemporal, startJob } from '../../temporal/jobs';
import { forgetWorkflowId } from './defs';
import type { ForgetPassInput } from './service';
import { forgetPass } from './workflow';

export { forgetWorkflowId };

/** Starts (or joins) the pass's forget workflow. */
export async function startForget(deps: Deps, pass: { id: string; organisation_id: string; serial_number: string }) {
  const input: ForgetPassInput = { passId: pass.id, organisationId: pass.organisation_id, gracePeriodMs: deps.config.forgetGracePeriodMs };
  return startJob(requireTemporal(deps.temporal, 'forgetting a pass'), deps.config, forgetPass, {
    workflowId: forgetWorkflowId(pass.id),
    args: [input],
    organisationId: pass.organisation_id,
    requestId: pass.serial_number,
    summary: `GDPR forget: pass ${pass.serial_number} expired, personal details erased after the grace period`,
  });
}
