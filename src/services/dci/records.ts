import type { Knex } from 'knex';
import type { Db } from '../../db/knex';
import { REGISTRIES, RegistryKey } from '../../domain/dci/registries';
import { DomainError, isUniqueViolation } from '../errors';

/**
 * Registry records (jsonb, shaped like the seeds' examples) and their life events: every create or
 * change of a record writes a life event in the same transaction, which subscriptions pick up.
 */
export interface RecordRow {
  id: string;
  registry: RegistryKey;
  identifier: string;
  record: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function valueAt(record: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (isPlainObject(v) ? v[k] : undefined), record);
}

/**
 * Checks a record: an object with its identifier, and every attribute the registry knows holding
 * its type (other attributes are allowed: the standard's records are extensible). Returns the identifier.
 */
export function validateRecord(registry: RegistryKey, record: unknown, field = 'record'): string {
  const def = REGISTRIES[registry];
  if (!isPlainObject(record)) throw new DomainError('BAD_USER_INPUT', 'must be a JSON object', field);
  const identifier = valueAt(record, def.identifierPath);
  if (typeof identifier !== 'string' || identifier.trim() === '' || identifier.length > 200) {
    throw new DomainError('BAD_USER_INPUT', 'is required: a non-empty string of at most 200 characters', `${field}.${def.identifierPath}`);
  }
  const check = (value: unknown, segments: string[]) => {
    if (Array.isArray(value)) {
      value.forEach((v) => check(v, segments));
      return;
    }
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) check(v, [...segments, k]);
      return;
    }
    const attr = def.catalogue.get(segments.join('.'));
    if (attr && value !== null && typeof value !== attr.type) {
      throw new DomainError('BAD_USER_INPUT', `must be a ${attr.type} (got ${typeof value})`, `${field}.${attr.path}`);
    }
  };
  check(record, []);
  return identifier;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Writers of records hold this lock shared while they add life events; a subscription firing takes
 * it exclusively for the moment it reads the newest event, so no event with a lower seq can still
 * be uncommitted when a firing moves past it.
 */
export const lifeEventsLockKey = (registry: RegistryKey) => (registry === 'dr' ? 0x44434901 : 0x44434902);

async function recordEvent(trx: Knex.Transaction, registry: RegistryKey, recordIds: string[], eventType: 'REGISTER' | 'UPDATE') {
  if (recordIds.length === 0) return;
  await trx.raw('SELECT pg_advisory_xact_lock_shared(?)', [lifeEventsLockKey(registry)]);
  await trx('registry_life_events').insert(recordIds.map((id) => ({ registry, record_id: id, event_type: eventType })));
}

export async function createRecord(db: Db, registry: RegistryKey, record: unknown): Promise<RecordRow> {
  const identifier = validateRecord(registry, record);
  try {
    return await db.transaction(async (trx) => {
      const [row] = await trx('registry_records').insert({ registry, identifier, record: JSON.stringify(record) }).returning('*');
      await recordEvent(trx, registry, [row.id], 'REGISTER');
      return row as RecordRow;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('CONFLICT', `a ${REGISTRIES[registry].name} record with identifier "${identifier}" already exists`, `record.${REGISTRIES[registry].identifierPath}`);
    throw err;
  }
}

export async function getRecord(db: Db, registry: RegistryKey, id: string): Promise<RecordRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return db('registry_records').where({ registry, id }).first();
}

/** Replaces (`replace`) or merge-patches (`merge`) a record; a life event records the change. */
export async function updateRecord(db: Db, registry: RegistryKey, id: string, body: unknown, mode: 'replace' | 'merge'): Promise<RecordRow> {
  try {
    return await db.transaction(async (trx) => {
      const current = /^[0-9a-f-]{36}$/i.test(id) ? await trx('registry_records').where({ registry, id }).forUpdate().first() : undefined;
      if (!current) throw new DomainError('NOT_FOUND', `no ${REGISTRIES[registry].name} record ${id}`);
      const next = mode === 'merge' ? mergePatch(current.record, body) : body;
      const identifier = validateRecord(registry, next);
      const [row] = await trx('registry_records')
        .where({ id })
        .update({ record: JSON.stringify(next), identifier, version: current.version + 1, updated_at: trx.fn.now() })
        .returning('*');
      await recordEvent(trx, registry, [id], 'UPDATE');
      return row as RecordRow;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('CONFLICT', 'another record already has this identifier', `record.${REGISTRIES[registry].identifierPath}`);
    throw err;
  }
}

const UPSERT_BATCH = 1000;

/**
 * Loads records (a file, or generated ones): all are validated first, then upserted by identifier
 * in one transaction, each with its life event (REGISTER for new records, UPDATE for changed ones).
 */
export async function upsertRecords(db: Db, registry: RegistryKey, records: unknown[], onProgress?: (done: number) => void): Promise<{ created: number; updated: number }> {
  const identifiers = records.map((r, i) => validateRecord(registry, r, `records[${i}]`));
  const seen = new Map<string, number>();
  identifiers.forEach((id, i) => {
    const first = seen.get(id);
    if (first !== undefined) throw new DomainError('BAD_USER_INPUT', `identifier "${id}" also appears at records[${first}]`, `records[${i}].${REGISTRIES[registry].identifierPath}`);
    seen.set(id, i);
  });
  let created = 0;
  let updated = 0;
  await db.transaction(async (trx) => {
    for (let i = 0; i < records.length; i += UPSERT_BATCH) {
      const rows = records.slice(i, i + UPSERT_BATCH).map((r, j) => ({ registry, identifier: identifiers[i + j], record: JSON.stringify(r) }));
      const result: { id: string; inserted: boolean }[] = await trx('registry_records')
        .insert(rows)
        .onConflict(['registry', 'identifier'])
        .merge({ record: trx.raw('excluded.record'), version: trx.raw('registry_records.version + 1'), updated_at: trx.fn.now() })
        .returning([trx.raw('id'), trx.raw('(xmax = 0) as inserted')] as never);
      const fresh = result.filter((r) => r.inserted).map((r) => r.id);
      const changed = result.filter((r) => !r.inserted).map((r) => r.id);
      await recordEvent(trx, registry, fresh, 'REGISTER');
      await recordEvent(trx, registry, changed, 'UPDATE');
      created += fresh.length;
      updated += changed.length;
      onProgress?.(i + rows.length);
    }
  });
  return { created, updated };
}
