import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { copyLine, copyLinesIn, pgTextArray } from '../../db/copy';
import type { Db } from '../../db/knex';
import { PassDetails, validatePassDetails } from '../../domain/passDetails';
import { formatCardNumber } from '../../domain/serials';
import { deliveryTemplateCheck, enqueuePassDeliveries, toDeliver } from '../../notifications/passDelivery';
import { batchProgress, BatchProgress, recordRowResults, RowResult } from '../../services/batchRequests';
import { DomainError, isUniqueViolation } from '../../services/errors';
import type { PassLinks } from '../../services/passLinks';
import { allocateFromSequence } from '../../services/serialSequences';
import type { CreatedPass } from '../../services/passes';

/**
 * One chunk of a batch distribution: the staged rows `firstRow .. firstRow + size - 1`. Chunks of
 * one batch run in parallel on any worker; each is set-based (one COPY of its passes, one UPDATE
 * of its rows) and atomic, and re-running one creates nothing twice.
 */
export interface ChunkProgress extends BatchProgress {
  earliestExpiryMs: number | null;
}

type Runs = [number, number][];

interface Reservation {
  validatedAt: Date;
  validCount: number;
  runs: Runs;
}

/** Consecutive numbers as [from, to] runs (a reservation stays small however many numbers it holds). */
function toRuns(numbers: number[]): Runs {
  const runs: Runs = [];
  for (const n of numbers) {
    const last = runs[runs.length - 1];
    if (last && last[1] === n - 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}

function fromRuns(runs: Runs): number[] {
  const out: number[] = [];
  for (const [from, to] of runs) for (let n = from; n <= to; n++) out.push(n);
  return out;
}

async function findReservation(db: Db, requestId: string, firstRow: number): Promise<Reservation | undefined> {
  const r = await db('distribution_chunks').where({ request_id: requestId, first_row: firstRow }).first();
  return r && { validatedAt: r.validated_at, validCount: r.valid_count, runs: r.card_runs };
}

/**
 * Reserves `count` card numbers for a chunk in ONE statement, outside the chunk's transaction, so
 * parallel chunks hold the sequence for microseconds instead of their whole write: the sequence's
 * `latest_card_number` moves by compare-and-set (as read, with the same reserved ranges) and the
 * reservation row is inserted with it. A lost race re-reads and tries again; a chunk already
 * reserved (another attempt) fails the insert, which undoes the move, and its reservation is used.
 */
async function reserve(db: Db, sequenceId: string, requestId: string, firstRow: number, count: number, validatedAt: Date): Promise<Reservation> {
  for (;;) {
    const seq = await db('serial_sequences').where({ id: sequenceId }).first('prefix', 'latest_card_number', 'reserved_ranges', 'maximum_card_number');
    const allocation = allocateFromSequence(seq, count);
    const runs = toRuns(allocation.numbers);
    try {
      const result = await db.raw(
        `WITH moved AS (
           UPDATE serial_sequences SET latest_card_number = ?, last_modified = now()
            WHERE id = ? AND latest_card_number = ? AND reserved_ranges = ?::jsonb RETURNING id)
         INSERT INTO distribution_chunks (request_id, first_row, valid_count, card_runs, validated_at)
         SELECT ?, ?, ?, ?::jsonb, ? FROM moved`,
        [allocation.latest, sequenceId, seq.latest_card_number, JSON.stringify(seq.reserved_ranges), requestId, firstRow, count, JSON.stringify(runs), validatedAt],
      );
      if (result.rowCount === 1) return { validatedAt, validCount: count, runs };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return (await findReservation(db, requestId, firstRow))!;
    }
  }
}

const PASS_COLUMNS = [
  'organisation_id', 'pass_design_id', 'distribution_request_id', 'serial_number', 'prefix', 'card_number', 'external_reference_id',
  'payload', 'dynamic_field_data', 'delivery_method', 'delivery_address', 'delivery_salutation', 'delivery_name', 'delivery_template',
  'beacons', 'locations', 'link_start_time', 'link_end_time', 'expired_timestamp', 'authentication_token', 'creator', 'modifier',
] as const;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function processDistributionChunk(db: Db, links: PassLinks, requestId: string, firstRow: number, size: number): Promise<ChunkProgress> {
  const lastRow = firstRow + size - 1;
  const inChunk = (q: Knex.QueryBuilder) => q.where({ request_id: requestId, status: 'pending' }).whereBetween('row_number', [firstRow, lastRow]);
  // Let go once validated: with 4 chunks in flight, every object a row keeps across the chunk's
  // awaits is copied by each young-generation GC, a third of the worker's time in this phase.
  type Staged = { row_number: number; raw: unknown }[];
  let rows: Staged | undefined = (await inChunk(db('distribution_rows')).orderBy('row_number').select('row_number', 'raw')) as Staged;
  const rowCount = rows.length;
  if (!rowCount) return { ...(await batchProgress(db, 'distribution', requestId)), earliestExpiryMs: null };

  const request = await db('distribution_requests').where({ id: requestId }).first();
  const design = await db('pass_designs as d')
    .join('serial_sequences as s', 's.id', 'd.serial_sequence_id')
    .where('d.id', request.pass_design_id)
    .first('d.id', 'd.title', 'd.organisation_id', 'd.dynamic_field_keys', 'd.serial_sequence_id', 's.prefix', 's.card_number_length');
  const checkDelivery = await deliveryTemplateCheck(db, request.organisation_id);

  // Validation as of the moment the chunk first ran (kept with its reservation), so that a re-run
  // accepts exactly the rows the reserved numbers were counted for.
  const validate = (now: Date) => {
    const valid: { rowNumber: number; details: PassDetails }[] = [];
    const failed: { rowNumber: number; error: string }[] = [];
    for (const r of rows!) {
      const v = checkDelivery(validatePassDetails(r.raw, design.dynamic_field_keys, now));
      if (v.ok) valid.push({ rowNumber: r.row_number, details: v.value });
      else failed.push({ rowNumber: r.row_number, error: `row ${r.row_number}: ${v.error}` });
    }
    return { valid, failed };
  };
  let reservation = await findReservation(db, requestId, firstRow);
  const validatedAt = reservation?.validatedAt ?? new Date();
  let { valid, failed } = validate(validatedAt);
  if (!reservation && valid.length) {
    reservation = await reserve(db, design.serial_sequence_id, requestId, firstRow, valid.length, validatedAt);
    // Another attempt reserved first: take its moment too.
    if (reservation.validatedAt.getTime() !== validatedAt.getTime()) ({ valid, failed } = validate(reservation.validatedAt));
  }
  rows = undefined;
  const numbers = reservation ? fromRuns(reservation.runs) : [];
  if (numbers.length !== valid.length) {
    throw new Error(`chunk ${requestId}/${firstRow}: ${valid.length} valid rows but ${numbers.length} card numbers reserved`);
  }

  // Everything the passes need, computed before the transaction opens.
  const tokens = crypto.randomBytes(24 * valid.length);
  let earliestExpiryMs: number | null = null;
  /** The passes to deliver by email or SMS (most batches have none). */
  const created: CreatedPass[] = [];
  const results: RowResult[] = failed.map((f) => ({ n: f.rowNumber, status: 'failure', error: f.error, serial: null, key: null }));
  // Each pass as its COPY line at once: one string a row held until the COPY, not 22 values.
  const passLines = valid.map(({ rowNumber, details: d }, i) => {
    const cardNumber = formatCardNumber(numbers[i], design.card_number_length);
    const serial = design.prefix + cardNumber;
    const key = links.apiKey({ serialNumber: serial, organisationId: design.organisation_id });
    results.push({ n: rowNumber, status: 'success', error: null, serial, key });
    if (toDeliver(d)) created.push({ details: d, serialNumber: serial, passApiKey: key, passDownloadLink: links.downloadLink(key) });
    const at = d.expiredTimestamp?.getTime();
    if (at !== undefined && (earliestExpiryMs === null || at < earliestExpiryMs)) earliestExpiryMs = at;
    return copyLine([
      design.organisation_id, design.id, requestId, serial, design.prefix, cardNumber, d.externalReferenceID, d.payload,
      JSON.stringify(d.dynamicFields), d.deliveryMethod, d.deliveryAddress, d.deliverySalutation, d.deliveryName, d.deliveryTemplate,
      pgTextArray(d.beacons), pgTextArray(d.locations), iso(request.start_time), iso(request.end_time), iso(d.expiredTimestamp),
      tokens.subarray(24 * i, 24 * (i + 1)).toString('base64url'), request.job_issuer, request.job_issuer,
    ]);
  });
  valid = []; // as the rows above: the details live on in the lines, results and deliveries only

  await db.transaction(async (trx) => {
    // One attempt at a time per chunk (a stale attempt of a crashed worker dies with its connection).
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?), ?)', [requestId, firstRow]);
    const [{ pending }] = await inChunk(trx('distribution_rows')).count<{ pending: number }[]>('* as pending');
    if (Number(pending) === 0) return; // another attempt committed this chunk
    if (Number(pending) !== rowCount) throw new Error(`chunk ${requestId}/${firstRow}: ${pending} rows pending, ${rowCount} read`);
    await copyLinesIn(trx, 'passes', PASS_COLUMNS, [passLines]);
    await enqueuePassDeliveries(trx, { organisationId: design.organisation_id, designTitle: design.title, distributionRequestId: requestId }, created);
    await recordRowResults(trx, 'distribution', requestId, results);
  });
  return { ...(await batchProgress(db, 'distribution', requestId)), earliestExpiryMs };
}
