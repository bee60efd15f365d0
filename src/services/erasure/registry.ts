import type { Knex } from 'knex';

/** A pass whose end user is being forgotten: IDs only, enough to find every copy of their details. */
export interface ForgottenPass {
  id: string;
  serialNumber: string;
  organisationId: string;
  distributionRequestId: string | null;
}

/**
 * One place where personal data about a pass lives. Every feature that stores such data (a table's
 * columns, a file, a log) registers a target next to its code, so forgetting a pass reaches it.
 */
export interface ErasureTarget {
  /** Unique, shown in the forget audit entry: e.g. "distribution_rows.raw". */
  name: string;
  /** Erases the passes' personal details inside `trx`; returns how many rows or files changed. */
  erase(trx: Knex.Transaction, passes: ForgottenPass[]): Promise<number>;
}

const targets = new Map<string, ErasureTarget>();

/** Declares a place holding personal data about passes; registering a name again replaces it. */
export function registerErasure(target: ErasureTarget): ErasureTarget {
  targets.set(target.name, target);
  return target;
}

export function erasureTargets(): ErasureTarget[] {
  return [...targets.values()];
}

/** How to find a table's rows about the passes: a pass-ID column, a serial-number column, or a query. */
export type RowMatch =
  | { passIdColumn: string }
  | { serialColumn: string }
  | { where: (query: Knex.QueryBuilder, passes: ForgottenPass[]) => void };

/**
 * The common case: `columns` of `table` hold personal data; they are overwritten with the given
 * values (e.g. '' or null) in the rows about the passes.
 */
export function registerColumnErasure(spec: { name?: string; table: string; columns: Record<string, unknown>; match: RowMatch }): ErasureTarget {
  return registerErasure({
    name: spec.name ?? `${spec.table}(${Object.keys(spec.columns).join(',')})`,
    async erase(trx, passes) {
      if (!passes.length) return 0;
      const query = trx(spec.table);
      const m = spec.match;
      if ('passIdColumn' in m) query.whereIn(m.passIdColumn, passes.map((p) => p.id));
      else if ('serialColumn' in m) query.whereIn(m.serialColumn, passes.map((p) => p.serialNumber));
      else m.where(query, passes);
      return query.update(spec.columns);
    },
  });
}
