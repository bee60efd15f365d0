import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import type { PassDetails } from '../domain/passDetails';
import { allocateSerials } from './serialSequences';
import type { PassDesignRow } from './passDesigns';
import type { PassLinks } from './passLinks';
import { enqueuePassDeliveries } from '../notifications/passDelivery';

export interface PassRow {
  id: string;
  organisation_id: string;
  pass_design_id: string;
  distribution_request_id: string | null;
  serial_number: string;
  prefix: string;
  card_number: string;
  external_reference_id: string;
  payload: string | null;
  dynamic_field_data: Record<string, string>;
  delivery_method: string;
  delivery_address: string;
  delivery_salutation: string;
  delivery_name: string;
  delivery_template: string;
  beacons: string[];
  locations: string[];
  expired_timestamp: Date | null;
  is_expired: boolean;
  device_os: string;
  is_redeemed: boolean;
  redeemed_timestamp: Date | null;
  registered: boolean;
  registered_timestamp: Date | null;
  is_removed: boolean;
  removed_timestamp: Date | null;
  created_at: Date;
  creator: string;
  last_modified: Date;
  modifier: string;
}

export interface CreatedPass {
  details: PassDetails;
  serialNumber: string;
  passApiKey: string;
  passDownloadLink: string;
}

export interface CreatePassesContext {
  design: PassDesignRow;
  distributionRequestId: string;
  actor: string;
  linkStartTime: Date | null;
  linkEndTime: Date | null;
}

/**
 * Creates one pass per validated row inside the caller's transaction: serials are allocated and
 * the passes inserted atomically, so a retried caller never duplicates a pass or a serial.
 * Used by individual distribution and by the batch workflow's chunk activity alike.
 */
export async function createPasses(
  trx: Knex.Transaction,
  links: PassLinks,
  ctx: CreatePassesContext,
  rows: PassDetails[],
): Promise<CreatedPass[]> {
  const serials = await allocateSerials(trx, ctx.design.serial_sequence_id, rows.length);
  const created: CreatedPass[] = [];
  const records = [];
  for (let i = 0; i < rows.length; i++) {
    const d = rows[i];
    const s = serials[i];
    const passApiKey = links.apiKey({ serialNumber: s.serialNumber, organisationId: ctx.design.organisation_id });
    created.push({ details: d, serialNumber: s.serialNumber, passApiKey, passDownloadLink: links.downloadLink(passApiKey) });
    records.push({
      organisation_id: ctx.design.organisation_id,
      pass_design_id: ctx.design.id,
      distribution_request_id: ctx.distributionRequestId,
      serial_number: s.serialNumber,
      prefix: s.prefix,
      card_number: s.cardNumber,
      external_reference_id: d.externalReferenceID,
      payload: d.payload,
      dynamic_field_data: JSON.stringify(d.dynamicFields),
      delivery_method: d.deliveryMethod,
      delivery_address: d.deliveryAddress,
      delivery_salutation: d.deliverySalutation,
      delivery_name: d.deliveryName,
      delivery_template: d.deliveryTemplate,
      beacons: d.beacons,
      locations: d.locations,
      link_start_time: ctx.linkStartTime,
      link_end_time: ctx.linkEndTime,
      expired_timestamp: d.expiredTimestamp,
      authentication_token: crypto.randomBytes(24).toString('base64url'),
      creator: ctx.actor,
      modifier: ctx.actor,
    });
  }
  // Multi-row inserts in slices keep each statement under PostgreSQL's 65,535 parameter limit.
  for (let i = 0; i < records.length; i += 1000) await trx('passes').insert(records.slice(i, i + 1000));
  // Passes to deliver by email or SMS: their outbox rows commit with them.
  await enqueuePassDeliveries(trx, { organisationId: ctx.design.organisation_id, designTitle: ctx.design.title, distributionRequestId: ctx.distributionRequestId }, created);
  return created;
}

/** Seed 003's SuccessListItem for a created pass. */
export function toSuccessListItem(p: CreatedPass) {
  const d = p.details;
  return {
    customFieldData: d.dynamicFields,
    externalReferenceID: d.externalReferenceID,
    payload: d.payload,
    passDownloadLink: p.passDownloadLink,
    serialNumber: p.serialNumber,
    deliveryMethod: d.deliveryMethod,
    deliveryAddress: d.deliveryAddress,
    deliverySalutation: d.deliverySalutation,
    deliveryName: d.deliveryName,
    deliveryTemplate: d.deliveryTemplate,
    beacons: d.beacons,
    locations: d.locations,
    expiredTimestamp: d.expiredTimestamp,
    passApiKey: p.passApiKey,
  };
}

/** Seed 003's FailureListItem, echoing whatever could be read from the rejected row. */
export function toFailureListItem(raw: unknown, error: string) {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null);
  return {
    dynamicFieldData: typeof r.dynamicFields === 'object' && r.dynamicFields !== null ? r.dynamicFields : null,
    externalReferenceID: text(r.externalReferenceID),
    payload: typeof r.payload === 'string' ? r.payload : null,
    deliveryMethod: text(r.deliveryMethod) || 'None',
    deliveryAddress: text(r.deliveryAddress),
    deliverySalutation: text(r.deliverySalutation),
    deliveryName: text(r.deliveryName),
    deliveryTemplate: text(r.deliveryTemplate),
    beacons: list(r.beacons),
    locations: list(r.locations),
    expiredTimestamp: r.expiredTimestamp instanceof Date ? r.expiredTimestamp : null,
    error,
  };
}

/** Seed 003's UserPass shape. */
export function toUserPass(p: PassRow, designTitle: string) {
  const keys = Object.keys(p.dynamic_field_data);
  return {
    deviceOS: p.device_os,
    dynamicFieldData: p.dynamic_field_data,
    dynamicFieldKeys: keys,
    dynamicFieldValues: keys.map((k) => p.dynamic_field_data[k]),
    dynamicFields: keys.map((k, i) => ({ id: k, position: i + 1, row: 1, value: p.dynamic_field_data[k] })),
    externalReferenceID: p.external_reference_id,
    expiredTimestamp: p.expired_timestamp,
    isExpired: p.is_expired,
    isRedeemed: p.is_redeemed,
    isRemoved: p.is_removed,
    metaData: { created: p.created_at, creator: p.creator, lastModified: p.last_modified, modifier: p.modifier },
    passDesignTitle: designTitle,
    redeemedTimestamp: p.redeemed_timestamp,
    removedTimestamp: p.removed_timestamp,
    registered: p.registered,
    registeredTimestamp: p.registered_timestamp,
    serial: { cardNumber: p.card_number, prefix: p.prefix, serialNumber: p.serial_number },
    genericObjectDefaultFields: null,
    passDeliveryDetails: {
      deliveryMethod: p.delivery_method,
      deliveryAddress: p.delivery_address,
      deliverySalutation: p.delivery_salutation,
      deliveryName: p.delivery_name,
      deliveryTemplate: p.delivery_template,
    },
    beacons: p.beacons,
    locations: p.locations,
    payload: p.payload,
  };
}

export async function getPassesByExternalRefID(db: Db, organisationId: string, externalReferenceID: string) {
  const rows = await db('passes as p')
    .join('pass_designs as d', 'd.id', 'p.pass_design_id')
    .where({ 'p.organisation_id': organisationId, 'p.external_reference_id': externalReferenceID })
    .orderBy('p.created_at', 'asc')
    .select('p.*', 'd.title as design_title', 'd.presentation as design_presentation');
  return rows.map((r: PassRow & { design_title: string; design_presentation: { passDesignDefaultFields: unknown } }) => ({
    ...toUserPass(r, r.design_title),
    genericObjectDefaultFields: r.design_presentation.passDesignDefaultFields,
  }));
}
