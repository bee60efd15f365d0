import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { validatePassDetails, PassDetails } from '../domain/passDetails';
import type { Principal } from '../auth/tokens';
import { recordAudit } from './audit';
import { checkIndividualSize } from './batchRequests';
import { DomainError } from './errors';
import { getOrganisation } from './organisations';
import { getPassDesignByTitle, type PassDesignRow } from './passDesigns';
import type { PassLinks } from './passLinks';
import { createPasses, toFailureListItem, toSuccessListItem } from './passes';
import { deliveryTemplateCheck } from '../notifications/passDelivery';


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

/** The design (by title) and organisation a distribution request is made for. */
export async function distributionTarget(db: Db, principal: Principal, title: string) {
  const design = await getPassDesignByTitle(db, principal.org, title);
  const org = await getOrganisation(db, principal.org);
  if (!org) throw new DomainError('NOT_FOUND', `organisation ${principal.org} does not exist`);
  return { design, org };
}

/** What a distribution is made for: the design and what the organisation pays per pass. */
export interface DistributionTarget {
  design: PassDesignRow;
  org: { price_per_pass: number };
}

/** Inserts a distribution request row (individual or batch); returns its ID. */
export async function insertDistributionRequest(
  trx: Knex.Transaction,
  principal: Pick<Principal, 'org' | 'email'>,
  target: DistributionTarget,
  r: { isBatch: boolean; status: string; batchCount: number; successCount?: number; failureCount?: number; startTime?: Date | null; endTime?: Date | null; requestKey?: string; source?: string },
): Promise<string> {
  const [request] = await trx('distribution_requests')
    .insert({
      organisation_id: principal.org,
      pass_design_id: target.design.id,
      pass_design_title: target.design.title,
      pass_type: target.design.pass_type,
      is_batch_request: r.isBatch,
      batch_count: r.batchCount,
      job_issuer: principal.email,
      status: r.status,
      success_count: r.successCount ?? 0,
      failure_count: r.failureCount ?? 0,
      price_per_pass: target.org.price_per_pass,
      projected_cost: target.org.price_per_pass * r.batchCount,
      start_time: r.startTime ?? null,
      end_time: r.endTime ?? null,
      request_key: r.requestKey ?? null,
      source: r.source ?? 'api',
    })
    .returning('id');
  return request.id;
}

/**
 * Creates one validated pass as its own individual distribution (a request record for the
 * organisation's reports and billing), inside the caller's transaction: how a pass is issued
 * outside a distribution request (an async issuance claim). Returns the pass's ID and serial.
 */
export async function distributeOnePass(
  trx: Knex.Transaction,
  links: PassLinks,
  issuer: Pick<Principal, 'org' | 'email'>,
  target: DistributionTarget,
  details: PassDetails,
): Promise<{ passId: string; serialNumber: string }> {
  const requestId = await insertDistributionRequest(trx, issuer, target, { isBatch: false, status: 'Complete', batchCount: 1, successCount: 1 });
  const [pass] = await createPasses(
    trx,
    links,
    { design: target.design, distributionRequestId: requestId, actor: issuer.email, linkStartTime: null, linkEndTime: null },
    [details],
  );
  const row = await trx('passes').where({ serial_number: pass.serialNumber }).first('id');
  return { passId: row.id as string, serialNumber: pass.serialNumber };
}

/**
 * distributeIndividualPass: up to 25 passes created synchronously, results in the response.
 * Runs in one transaction with the request record, so either all valid rows exist or none.
 * (Not a workflow: it is short, and its input is personal data that must stay out of Temporal.)
 */
export async function distributeIndividual(db: Db, links: PassLinks, principal: Principal, input: DistributionRequestInput) {
  checkIndividualSize(input.passDetails.length, {
    field: 'input.passDetails',
    item: 'pass',
    operation: 'distribution',
    batchOperations: 'distributePassBatch or distributePassesCSV',
  });
  checkLinkWindow(input);
  const target = await distributionTarget(db, principal, input.title);
  const { design } = target;

  const now = new Date();
  const valid: PassDetails[] = [];
  const failureList = [];
  const checkDelivery = await deliveryTemplateCheck(db, principal.org);
  for (const [i, raw] of input.passDetails.entries()) {
    const r = checkDelivery(validatePassDetails(raw, design.dynamic_field_keys, now));
    if (r.ok) valid.push(r.value);
    else failureList.push(toFailureListItem(raw, `passDetails[${i}]: ${r.error}`));
  }

  const created = await db.transaction(async (trx) => {
    const requestId = await insertDistributionRequest(trx, principal, target, {
      isBatch: false,
      status: 'Complete',
      batchCount: input.passDetails.length,
      successCount: valid.length,
      failureCount: failureList.length,
      startTime: input.startTime,
      endTime: input.endTime,
    });
    const passes = await createPasses(
      trx,
      links,
      { design, distributionRequestId: requestId, actor: principal.email, linkStartTime: input.startTime ?? null, linkEndTime: input.endTime ?? null },
      valid,
    );
    await recordAudit(trx, {
      organisationId: principal.org,
      actor: principal.email,
      category: 'Distributions',
      action: 'distributeIndividualPass',
      subject: requestId,
      details: { passDesignId: design.id, successCount: valid.length, failureCount: failureList.length },
    });
    return { passes, requestId };
  });
  const deliveries = created.passes.filter((p) => p.details.deliveryMethod !== 'None').length;
  return { successList: created.passes.map(toSuccessListItem), failureList, requestId: created.requestId, deliveries };
}
