import type { Principal } from '../../auth/tokens';
import type { Db } from '../../db/knex';
import { keysetPage, KeysetCursor } from '../../db/pagination';
import { PassDetails, validatePassDetails } from '../../domain/passDetails';
import { batchProgress, BatchProgress, claimPendingRows, completeBatch, findByRequestKey, recordRowResults, resultLinks, RowResult, rowPages, stageSubmission, StagedRow } from '../../services/batchRequests';
import { writeCsvGzip } from '../../services/csvFiles';
import { checkLinkWindow, distributionTarget, insertDistributionRequest } from '../../services/distribution';
import type { FileStore } from '../../services/files';
import { getPassDesignById } from '../../services/passDesigns';
import type { PassLinks } from '../../services/passLinks';
import { createPasses, toFailureListItem, toSuccessListItem } from '../../services/passes';
import { deliveryTemplateCheck } from '../../notifications/passDelivery';

export interface BatchSubmission {
  title: string;
  startTime?: Date | null;
  endTime?: Date | null;
  source: 'api' | 'csv';
  /** The client's Idempotency-Key, if any. */
  requestKey?: string;
  /** Rows in pages, so a large CSV is staged while it is parsed. */
  rows: AsyncIterable<StagedRow[]>;
}

/**
 * Records a batch request and stages all its rows in one transaction. The same Idempotency-Key
 * returns the request already recorded (created: false) without staging anything again.
 */
export async function stageBatchDistribution(db: Db, principal: Principal, s: BatchSubmission) {
  checkLinkWindow(s);
  const target = await distributionTarget(db, principal, s.title);
  const existing = await findByRequestKey(db, 'distribution', principal.org, s.requestKey);
  if (existing) return { requestId: existing.id as string, batchCount: existing.batch_count as number, created: false };
  return db.transaction(async (trx) => {
    const requestId = await insertDistributionRequest(trx, principal, target, {
      isBatch: true,
      status: 'Pending',
      batchCount: 0,
      startTime: s.startTime,
      endTime: s.endTime,
      requestKey: s.requestKey,
      source: s.source,
    });
    const count = await stageSubmission(trx, 'distribution', requestId, { principal, source: s.source, rows: s.rows }, (batchCount) => ({ passDesignId: target.design.id, batchCount }));
    await trx('distribution_requests').where({ id: requestId }).update({ projected_cost: count * target.org.price_per_pass });
    return { requestId, batchCount: count, created: true };
  });
}

export type DistributionProgress = BatchProgress;

/**
 * Processes the next `size` pending rows of a request in ONE transaction: validation, serials,
 * passes, row results and the request's counters commit together. A chunk re-run after a crash
 * finds those rows done, so it never creates a second pass or serial.
 */
export async function processDistributionChunk(
  db: Db,
  links: PassLinks,
  requestId: string,
  size: number,
): Promise<DistributionProgress & { earliestExpiryMs: number | null }> {
  let earliestExpiryMs: number | null = null;
  await db.transaction(async (trx) => {
    const request = await trx('distribution_requests').where({ id: requestId }).first();
    const design = await getPassDesignById(trx, request.pass_design_id);
    const rows = await claimPendingRows<unknown>(trx, 'distribution', requestId, size);
    if (!rows.length) return;

    const now = new Date();
    const valid: { rowNumber: number; details: PassDetails }[] = [];
    const results: RowResult[] = [];
    const checkDelivery = await deliveryTemplateCheck(trx, request.organisation_id);
    for (const r of rows) {
      const v = checkDelivery(validatePassDetails(r.raw, design.dynamic_field_keys, now));
      if (v.ok) valid.push({ rowNumber: r.row_number, details: v.value });
      else results.push({ n: r.row_number, status: 'failure', error: `row ${r.row_number}: ${v.error}`, serial: null, key: null });
    }
    const created = await createPasses(
      trx,
      links,
      { design, distributionRequestId: requestId, actor: request.job_issuer, linkStartTime: request.start_time, linkEndTime: request.end_time },
      valid.map((v) => v.details),
    );
    for (const v of valid) {
      const at = v.details.expiredTimestamp?.getTime();
      if (at !== undefined && (earliestExpiryMs === null || at < earliestExpiryMs)) earliestExpiryMs = at;
    }
    created.forEach((p, i) => results.push({ n: valid[i].rowNumber, status: 'success', error: null, serial: p.serialNumber, key: p.passApiKey }));
    await recordRowResults(trx, 'distribution', requestId, results);
  });
  return { ...(await batchProgress(db, 'distribution', requestId)), earliestExpiryMs };
}

const SUCCESS_COLUMNS = [
  'customFieldData', 'externalReferenceID', 'payload', 'passDownloadLink', 'serialNumber', 'deliveryMethod', 'deliveryAddress',
  'deliverySalutation', 'deliveryName', 'deliveryTemplate', 'beacons', 'locations', 'expiredTimestamp', 'passApiKey',
];
const FAILURE_COLUMNS = [
  'dynamicFieldData', 'externalReferenceID', 'payload', 'deliveryMethod', 'deliveryAddress', 'deliverySalutation', 'deliveryName',
  'deliveryTemplate', 'beacons', 'locations', 'expiredTimestamp', 'error',
];

/**
 * Ends a batch: success and failure CSVs (the seed's SuccessListItem / FailureListItem fields),
 * the request completed, and the organisation's callback recorded (or an outbox email).
 */
export async function finalizeDistribution(db: Db, links: PassLinks, files: FileStore, requestId: string): Promise<{ callbackId: string | null }> {
  return completeBatch(db, files, 'distribution', requestId, async () => ({
    success: await writeCsvGzip(
      SUCCESS_COLUMNS,
      rowPages(
        db,
        'distribution',
        requestId,
        'success',
        (r) =>
          toSuccessListItem({
            details: {
              externalReferenceID: r.external_reference_id,
              payload: r.payload,
              dynamicFields: r.dynamic_field_data,
              deliveryMethod: r.delivery_method,
              deliveryAddress: r.delivery_address,
              deliverySalutation: r.delivery_salutation,
              deliveryName: r.delivery_name,
              deliveryTemplate: r.delivery_template,
              beacons: r.beacons,
              locations: r.locations,
              expiredTimestamp: r.expired_timestamp,
            },
            serialNumber: r.serial_number,
            passApiKey: r.pass_api_key,
            passDownloadLink: links.downloadLink(r.pass_api_key),
          }),
        async (rows) => {
          const passes = new Map((await db('passes').whereIn('serial_number', rows.map((r) => r.serial_number))).map((p: any) => [p.serial_number, p]));
          return rows.map((r) => ({ ...passes.get(r.serial_number), serial_number: r.serial_number, pass_api_key: r.pass_api_key }));
        },
      ),
    ),
    failure: await writeCsvGzip(FAILURE_COLUMNS, rowPages(db, 'distribution', requestId, 'failure', (r) => toFailureListItem(r.raw, r.error))),
  }));
}

export async function getDistributionProgress(db: Db, requestId: string): Promise<DistributionProgress> {
  return batchProgress(db, 'distribution', requestId);
}

/** Seed 003's DistributionRequestRecord; result links are signed for the owning organisation. */
export function toDistributionRequestRecord(r: any, files: FileStore) {
  const { successResults, failureResults } = resultLinks(r, files);
  return {
    batchCount: r.batch_count,
    isBatchRequest: r.is_batch_request,
    jobIssuer: r.job_issuer,
    passDesignTitle: r.pass_design_title,
    passType: r.pass_type,
    created: r.created_at,
    failureCount: r.failure_count,
    failureResults,
    status: r.status,
    successCount: r.success_count,
    successResults,
    projectedCost: r.projected_cost,
    pricePerPass: r.price_per_pass,
    appleRedemptions: r.apple_redemptions ?? 0,
    googleRedemptions: r.google_redemptions ?? 0,
  };
}

export async function paginateDistributionRequests(db: Db, organisationId: string, cursor: KeysetCursor) {
  const query = db('distribution_requests as r')
    .leftJoin('stored_files as f', 'f.id', 'r.success_file_id')
    // One pass over the request's redeemed passes (index passes_redeemed_by_request) for both counts.
    .joinRaw(
      `CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE p.device_os = 'Apple')::int AS apple_redemptions,
                                  count(*) FILTER (WHERE p.device_os = 'Google')::int AS google_redemptions
                             FROM passes p WHERE p.distribution_request_id = r.id AND p.is_redeemed) c`,
    )
    .where('r.organisation_id', organisationId)
    .select(
      'r.*',
      'f.expires_at as file_expires_at',
      'c.apple_redemptions',
      'c.google_redemptions',
    );
  return keysetPage<any>(query, 'r.created_at', cursor);
}
