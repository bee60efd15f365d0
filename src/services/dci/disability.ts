import type { Knex } from 'knex';
import type { Deps } from '../../deps';
import { parseDisabledCriteria } from '../../domain/dci/disabledCriteria';
import { QueryError, toSql } from '../../domain/dci/query';
import { REGISTRIES } from '../../domain/dci/registries';
import { DisabilityLookup, Received, recordTransaction } from './inbox';
import { DCI_VERSION, nowIso, RequestStatus, truncate } from './messages';
import { signedReply } from './syncReply';

/**
 * The Disability Registry's sync look-ups, answered from the DR records (header action on-search):
 * - `disabled`: DisabledResponse, `disabled_status` "yes" when a matching person's
 *   `disability_status` is Approved, else "no";
 * - `get-disability-support`: GetDisabilitySupportResponse, `reg_records` one array per matching
 *   person (their `disability_support` list);
 * - `get-disability-details`: GetDisabilityInfoResponse, `reg_records` one object per matching person
 *   (`disability_status`, `disability_level`, `disability_details`).
 * The request carries no reference_id (the standard's gap): the answer uses
 * `disabled_criteria.reference_id` when given, else the transaction_id.
 */
export const MAX_LOOKUP_MATCHES = 1000;

type Found = { ok: true; records: Record<string, unknown>[]; total: number } | { ok: false; reasonCode: string; message: string };

async function find(deps: Deps, r: Received<DisabilityLookup>): Promise<Found> {
  const def = REGISTRIES.dr;
  let where;
  try {
    where = toSql(parseDisabledCriteria(def, r.message.disabled_criteria));
  } catch (err) {
    if (err instanceof QueryError) return { ok: false, reasonCode: err.reasonCode, message: `disabled_criteria: ${err.message}` };
    throw err;
  }
  const rows: { record: Record<string, unknown>; total: string }[] = await deps.db('registry_records')
    .where({ registry: 'dr' })
    .whereRaw(where.sql, where.bindings as Knex.RawBinding[])
    .orderBy('id')
    .limit(MAX_LOOKUP_MATCHES + 1)
    .select('record', deps.db.raw('count(*) OVER () AS total'));
  const total = rows.length ? Number(rows[0].total) : 0;
  if (total > MAX_LOOKUP_MATCHES) {
    return { ok: false, reasonCode: 'rjct.search.too_many_records_found', message: `${total} people match; narrow disabled_criteria to at most ${MAX_LOOKUP_MATCHES}` };
  }
  return { ok: true, records: rows.map((row) => row.record), total };
}

function entry(kind: DisabilityLookup, referenceId: string, found: Found) {
  const base = { reference_id: referenceId, timestamp: nowIso() };
  if (!found.ok) {
    const rejected = { ...base, status: 'rjct', status_reason_code: found.reasonCode, status_reason_message: truncate(found.message) };
    // DisabledResponse requires disabled_status even when the look-up is refused.
    return kind === 'disabled' ? { ...rejected, disabled_status: 'no' } : rejected;
  }
  if (kind === 'disabled') {
    const yes = found.records.some((rec) => rec.disability_status === 'Approved');
    return { ...base, status: 'succ', disabled_status: yes ? 'yes' : 'no' };
  }
  const regRecords =
    kind === 'get-disability-support'
      ? found.records.map((rec) => (Array.isArray(rec.disability_support) ? rec.disability_support : []))
      : found.records.map((rec) => ({ disability_status: rec.disability_status, disability_level: rec.disability_level, disability_details: rec.disability_details ?? [] }));
  return {
    ...base,
    status: 'succ',
    data: { version: DCI_VERSION, reg_records: regRecords },
    pagination: { page_size: MAX_LOOKUP_MATCHES, page_number: 1, total_count: found.total },
  };
}

export async function disabilityLookup(deps: Deps, r: Received<DisabilityLookup>) {
  const { correlationId } = await recordTransaction(deps, r, true);
  const criteria = r.message.disabled_criteria as { reference_id?: unknown };
  const referenceId = typeof criteria.reference_id === 'string' && criteria.reference_id ? criteria.reference_id : r.message.transaction_id;
  const found = await find(deps, r);
  const item = entry(r.action, referenceId, found);
  const status: RequestStatus = found.ok ? 'succ' : 'rjct';
  await deps.db('dci_transactions')
    .where({ correlation_id: correlationId })
    .update({
      status,
      response: JSON.stringify({ items: [{ reference_id: referenceId, status, ...(found.ok ? { total_count: found.total } : { status_reason_code: found.reasonCode, status_reason_message: found.message }) }] }),
      completed_at: deps.db.fn.now(),
    });
  const key = r.action === 'disabled' ? 'disabled_response' : 'search_response';
  return signedReply(deps, r, { action: 'on-search', status, totalCount: 1, completedCount: 1, message: { transaction_id: r.message.transaction_id, correlation_id: correlationId, [key]: [item] } });
}
