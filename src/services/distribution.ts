import type { Db } from '../db/knex';
import { validatePassDetails, PassDetails } from '../domain/passDetails';
import type { Principal } from '../auth/tokens';
import { recordAudit } from './audit';
import { DomainError } from './errors';
import { getOrganisation } from './organisations';
import { getPassDesignByTitle } from './passDesigns';
import type { PassLinks } from './passLinks';
import { createPasses, toFailureListItem, toSuccessListItem } from './passes';

export const MAX_INDIVIDUAL_PASSES = 25;

export interface DistributionRequestInput {
  title: string;
  passDetails: unknown[];
  startTime?: Date | null;
  endTime?: Date | null;
}

/** Checks of a distribution request as a whole (each row is checked on its own later). */
export function checkLinkWindow(input: { startTime?: Date | null; endTime?: Date | null }): void {
  if (input.startTime && input.endTime && input.endTime <= input.startTime) {
    throw new DomainError('BAD_USER_INPUT', 'must be after startTime', 'input.endTime');
  }
}

/**
 * distributeIndividualPass: up to 25 passes created synchronously, results in the response.
 * Runs in one transaction with the request record, so either all valid rows exist or none.
 * (Not a workflow: it is short, and its input is personal data that must stay out of Temporal.)
 */
export async function distributeIndividual(db: Db, links: PassLinks, principal: Principal, input: DistributionRequestInput) {
  if (input.passDetails.length === 0) throw new DomainError('BAD_USER_INPUT', 'must contain at least one pass', 'input.passDetails');
  if (input.passDetails.length > MAX_INDIVIDUAL_PASSES) {
    throw new DomainError(
      'BAD_USER_INPUT',
      `individual distribution is limited to ${MAX_INDIVIDUAL_PASSES} passes per request (got ${input.passDetails.length}); use distributePassBatch or distributePassesCSV for more`,
      'input.passDetails',
    );
  }
  checkLinkWindow(input);
  const design = await getPassDesignByTitle(db, principal.org, input.title);
  const org = await getOrganisation(db, principal.org);
  if (!org) throw new DomainError('NOT_FOUND', `organisation ${principal.org} does not exist`);

  const now = new Date();
  const valid: PassDetails[] = [];
  const failureList = [];
  for (const [i, raw] of input.passDetails.entries()) {
    const r = validatePassDetails(raw, design.dynamic_field_keys, now);
    if (r.ok) valid.push(r.value);
    else failureList.push(toFailureListItem(raw, `passDetails[${i}]: ${r.error}`));
  }

  const created = await db.transaction(async (trx) => {
    const [request] = await trx('distribution_requests')
      .insert({
        organisation_id: principal.org,
        pass_design_id: design.id,
        pass_design_title: design.title,
        pass_type: design.pass_type,
        is_batch_request: false,
        batch_count: input.passDetails.length,
        job_issuer: principal.email,
        status: 'Complete',
        success_count: valid.length,
        failure_count: failureList.length,
        price_per_pass: org.price_per_pass,
        projected_cost: org.price_per_pass * input.passDetails.length,
        start_time: input.startTime ?? null,
        end_time: input.endTime ?? null,
      })
      .returning('id');
    const passes = await createPasses(
      trx,
      links,
      { design, distributionRequestId: request.id, actor: principal.email, linkStartTime: input.startTime ?? null, linkEndTime: input.endTime ?? null },
      valid,
    );
    await recordAudit(trx, {
      organisationId: principal.org,
      actor: principal.email,
      category: 'Distributions',
      action: 'distributeIndividualPass',
      subject: request.id,
      details: { passDesignId: design.id, successCount: valid.length, failureCount: failureList.length },
    });
    return passes;
  });
  return { successList: created.map(toSuccessListItem), failureList };
}
