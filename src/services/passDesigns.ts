import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { keysetPage, KeysetCursor } from '../db/pagination';
import { maximumCardNumber, ReservedRange } from '../domain/serials';
import { recordAudit } from './audit';
import { DomainError, isUniqueViolation } from './errors';

export interface PassDesignRow {
  id: string;
  organisation_id: string;
  title: string;
  serial_sequence_id: string;
  dynamic_field_keys: string[];
  presentation: Presentation;
  pass_type: string;
  created_at: Date;
  creator: string;
  last_modified: Date;
  modifier: string;
  serial_prefix: string;
}

type Image = { sourceURI: string; description: string; fileName: string };
type DynamicFields = { size: number; items: { key: string; label: string; position: number }[] };

/** The presentation part of seed 003's PassDesign, stored as one JSON document. */
export interface Presentation {
  backgroundColor: { red: number; green: number; blue: number };
  countryCode: string;
  issuingOrganisation: string;
  passBrandingLogo: Image;
  passIcon: Image;
  passImage: Image | null;
  passDesignDefaultFields: { cardTitle: string; cardTitleLabel: string | null; header: string; subheader: string | null };
  isNFCEnabled: boolean;
  primaryFields: DynamicFields | null;
  secondaryFields: DynamicFields | null;
  auxiliaryFields: DynamicFields | null;
  barcodeType: string | null;
  backFields: { size: number; items: { key: string; label: string; position: number; value: string; isDynamic: boolean }[] } | null;
  downloadMessage: string;
  downloadLogo: string;
  downloadBackground: string;
}

function label(key: string): string {
  return key.replace(/[_-]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}

/** Sensible presentation for a design created from the CLI: the dynamic fields fill the primary row. */
export function defaultPresentation(orgName: string, title: string, fields: string[], baseUrl: string): Presentation {
  const image = (name: string): Image => ({
    sourceURI: `${baseUrl}/assets/${name}.png`,
    description: `${orgName} ${name}`,
    fileName: `${name}.png`,
  });
  return {
    backgroundColor: { red: 255, green: 255, blue: 255 },
    countryCode: 'en-GB',
    issuingOrganisation: orgName,
    passBrandingLogo: image('logo'),
    passIcon: image('icon'),
    passImage: null,
    passDesignDefaultFields: { cardTitle: title, cardTitleLabel: null, header: orgName, subheader: null },
    isNFCEnabled: false,
    primaryFields: { size: fields.length, items: fields.map((key, i) => ({ key, label: label(key), position: i + 1 })) },
    secondaryFields: null,
    auxiliaryFields: null,
    barcodeType: 'QR',
    backFields: null,
    downloadMessage: `Add your ${title} to your wallet`,
    downloadLogo: image('logo').sourceURI,
    downloadBackground: '#FFFFFF',
  };
}

export interface CreatePassDesignInput {
  organisationId: string;
  title: string;
  prefix: string;
  dynamicFieldKeys: string[];
  actor: string;
  presentation: Presentation;
  cardNumberLength?: number;
  reservedRanges?: ReservedRange[];
}

/** Creates a pass design and its serial-number sequence together. */
export async function createPassDesign(db: Db, input: CreatePassDesignInput): Promise<PassDesignRow> {
  const length = input.cardNumberLength ?? 8;
  try {
    return await db.transaction(async (trx) => {
      const [seq] = await trx('serial_sequences')
        .insert({
          organisation_id: input.organisationId,
          prefix: input.prefix,
          card_number_length: length,
          initial_card_number: 1,
          latest_card_number: 0,
          maximum_card_number: maximumCardNumber(length),
          reserved_ranges: JSON.stringify((input.reservedRanges ?? []).map((r) => ({ ...r, count: r.end - r.start + 1, processed: false }))),
          creator: input.actor,
          modifier: input.actor,
        })
        .returning('*');
      const [design] = await trx('pass_designs')
        .insert({
          organisation_id: input.organisationId,
          title: input.title,
          serial_sequence_id: seq.id,
          dynamic_field_keys: input.dynamicFieldKeys,
          presentation: JSON.stringify(input.presentation),
          creator: input.actor,
          modifier: input.actor,
        })
        .returning('*');
      await recordAudit(trx, {
        organisationId: input.organisationId,
        actor: input.actor,
        category: 'Pass Designs',
        action: 'create',
        subject: design.id,
        details: { serialPrefix: input.prefix },
      });
      return { ...design, serial_prefix: seq.prefix };
    });
  } catch (err) {
    if (isUniqueViolation(err, 'serial_sequences_prefix_unique')) {
      throw new DomainError('CONFLICT', `serial prefix "${input.prefix}" is already in use`, 'prefix');
    }
    if (isUniqueViolation(err, 'pass_designs_organisation_id_title_unique')) {
      throw new DomainError('CONFLICT', `a pass design titled "${input.title}" already exists`, 'title');
    }
    throw err;
  }
}

/** Designs with their serial prefix (PassDesignRow). */
function withSerialPrefix(db: Db | Knex.Transaction) {
  return db('pass_designs as d').join('serial_sequences as s', 's.id', 'd.serial_sequence_id').select('d.*', 's.prefix as serial_prefix');
}

function designs(db: Db | Knex.Transaction, organisationId: string) {
  return withSerialPrefix(db).where('d.organisation_id', organisationId);
}

/** A design by ID, for jobs that recorded it (a batch, an issuance request). */
export async function getPassDesignById(db: Db | Knex.Transaction, id: string): Promise<PassDesignRow> {
  const design = await withSerialPrefix(db).where('d.id', id).first();
  if (!design) throw new Error(`pass design ${id} does not exist`);
  return design;
}

export async function findPassDesignByTitle(
  db: Db | Knex.Transaction,
  organisationId: string,
  title: string,
): Promise<PassDesignRow | undefined> {
  return designs(db, organisationId).where('d.title', title).first();
}

export async function getPassDesignByTitle(db: Db, organisationId: string, title: string): Promise<PassDesignRow> {
  const design = await findPassDesignByTitle(db, organisationId, title);
  if (!design) throw new DomainError('NOT_FOUND', `no pass design titled "${title}"`, 'input.title');
  return design;
}

export async function paginatePassDesigns(db: Db, organisationId: string, cursor: KeysetCursor) {
  return keysetPage<PassDesignRow>(designs(db, organisationId), 'd.last_modified', cursor);
}

export interface DesignStats {
  appleRedemptions: number;
  googleRedemptions: number;
  totalDistributionCount: number;
  lastDistributionDate: Date | null;
}

/** Counters derived from the passes themselves, so they can never drift from the data. */
export async function designStats(db: Db, designIds: string[]): Promise<Map<string, DesignStats>> {
  const rows = await db('passes')
    .whereIn('pass_design_id', designIds)
    .groupBy('pass_design_id')
    .select(
      'pass_design_id',
      db.raw('count(*)::int as total'),
      db.raw(`count(*) filter (where is_redeemed and device_os = 'Apple')::int as apple`),
      db.raw(`count(*) filter (where is_redeemed and device_os = 'Google')::int as google`),
      db.raw('max(created_at) as last'),
    );
  const stats = new Map<string, DesignStats>();
  for (const id of designIds) {
    stats.set(id, { appleRedemptions: 0, googleRedemptions: 0, totalDistributionCount: 0, lastDistributionDate: null });
  }
  for (const r of rows) {
    stats.set(r.pass_design_id, {
      appleRedemptions: r.apple,
      googleRedemptions: r.google,
      totalDistributionCount: r.total,
      lastDistributionDate: r.last,
    });
  }
  return stats;
}

/** Seed 003's PassDesign shape. */
export function toPassDesign(row: PassDesignRow, stats: DesignStats) {
  return {
    ...row.presentation,
    metaData: { created: row.created_at, creator: row.creator, lastModified: row.last_modified, modifier: row.modifier },
    serialPrefix: row.serial_prefix,
    title: row.title,
    dynamicFieldKeys: row.dynamic_field_keys,
    ...stats,
  };
}
