import type { Principal } from '../../auth/tokens';
import { countMessages } from '../../notifications/delivery';
import { dispatchKeys } from '../../notifications/keys';
import type { Db } from '../../db/knex';
import { keysetPage, KeysetCursor } from '../../db/pagination';
import { batchProgress, BatchProgress, completeBatch, findByRequestKey, resultLinks, stageSubmission, StagedRow } from '../../services/batchRequests';
import { copyCsvGzip, sqlIsoTime, sqlList, sqlSafeText } from '../../services/csvFiles';
import { checkLinkWindow, distributionTarget, insertDistributionRequest } from '../../services/distribution';
import type { FileStore } from '../../services/files';
import type { PassLinks } from '../../services/passLinks';

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

/** `raw->'key'` as text when it is a JSON string, else ''. */
const rawText = (key: string) => sqlSafeText(`CASE WHEN jsonb_typeof(r.raw->'${key}') = 'string' THEN r.raw->>'${key}' ELSE '' END`);
/** `raw->'key'`'s string items joined with ";" when it is a JSON array, else NULL. */
const rawList = (key: string) =>
  sqlSafeText(`CASE WHEN jsonb_typeof(r.raw->'${key}') = 'array' THEN (SELECT coalesce(string_agg(e #>> '{}', ';' ORDER BY i), '')
     FROM jsonb_array_elements(r.raw->'${key}') WITH ORDINALITY a(e, i) WHERE jsonb_typeof(e) = 'string') END`);

/**
 * Seed 003's SuccessListItem fields of each created pass, in row order (what toSuccessListItem
 * returns, rendered as the CSV cells csvGzipStream would write).
 */
const SUCCESS_CSV_SQL = `
  SELECT p.dynamic_field_data::text AS "customFieldData", ${sqlSafeText('p.external_reference_id')} AS "externalReferenceID",
         ${sqlSafeText('p.payload')} AS payload, ? || r.pass_api_key AS "passDownloadLink", r.serial_number AS "serialNumber",
         p.delivery_method AS "deliveryMethod", ${sqlSafeText('p.delivery_address')} AS "deliveryAddress",
         ${sqlSafeText('p.delivery_salutation')} AS "deliverySalutation", ${sqlSafeText('p.delivery_name')} AS "deliveryName",
         ${sqlSafeText('p.delivery_template')} AS "deliveryTemplate", ${sqlList('p.beacons')} AS beacons, ${sqlList('p.locations')} AS locations,
         ${sqlIsoTime('p.expired_timestamp')} AS "expiredTimestamp", r.pass_api_key AS "passApiKey"
    FROM distribution_rows r JOIN passes p ON p.serial_number = r.serial_number
   WHERE r.request_id = ? AND r.status = 'success' ORDER BY r.row_number`;

/** Seed 003's FailureListItem of each rejected row, echoing what could be read from it (toFailureListItem). */
const FAILURE_CSV_SQL = `
  SELECT CASE WHEN jsonb_typeof(r.raw->'dynamicFields') = 'object' THEN (r.raw->'dynamicFields')::text END AS "dynamicFieldData",
         ${rawText('externalReferenceID')} AS "externalReferenceID",
         ${sqlSafeText(`CASE WHEN jsonb_typeof(r.raw->'payload') = 'string' THEN r.raw->>'payload' END`)} AS payload,
         coalesce(nullif(${rawText('deliveryMethod')}, ''), 'None') AS "deliveryMethod",
         ${rawText('deliveryAddress')} AS "deliveryAddress", ${rawText('deliverySalutation')} AS "deliverySalutation",
         ${rawText('deliveryName')} AS "deliveryName", ${rawText('deliveryTemplate')} AS "deliveryTemplate",
         ${rawList('beacons')} AS beacons, ${rawList('locations')} AS locations, NULL AS "expiredTimestamp", ${sqlSafeText('r.error')} AS error
    FROM distribution_rows r WHERE r.request_id = ? AND r.status = 'failure' ORDER BY r.row_number`;

/**
 * Ends a batch: success and failure CSVs (the seed's SuccessListItem / FailureListItem fields),
 * streamed out of PostgreSQL with COPY into gzip, the request completed, and the organisation's
 * callback recorded (or an outbox email).
 */
export async function finalizeDistribution(
  db: Db,
  links: PassLinks,
  files: FileStore,
  requestId: string,
): Promise<{ callbackId: string | null; resultsEmails: number; deliveries: number }> {
  const { callbackId } = await completeBatch(db, files, 'distribution', requestId, {
    success: () => copyCsvGzip(db, SUCCESS_CSV_SQL, [links.downloadLink(''), requestId]),
    failure: () => copyCsvGzip(db, FAILURE_CSV_SQL, [requestId]),
  });
  // What the delivery stage has to send: the results email, the passes asked for by email / SMS.
  return {
    callbackId,
    resultsEmails: await countMessages(db, dispatchKeys.results('distribution', requestId)),
    deliveries: await countMessages(db, dispatchKeys.passes(requestId)),
  };
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
