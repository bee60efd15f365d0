import type { Db } from '../src/db/knex';

/**
 * With BENCH_PG_STATEMENTS set, PostgreSQL loads pg_stat_statements (bench/env.ts): a phase is
 * bracketed by `resetStatements` and `topStatements`, to see which statements its time went to.
 */
export const statementsOn = () => Boolean(process.env.BENCH_PG_STATEMENTS);

export async function resetStatements(db: Db): Promise<void> {
  if (!statementsOn()) return;
  await db.raw('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await db.raw('SELECT pg_stat_statements_reset()');
}

/** The statements PostgreSQL spent the most time in since the reset, as printable lines. */
export async function topStatements(db: Db, limit = 12): Promise<string[]> {
  if (!statementsOn()) return [];
  const { rows } = await db.raw(
    `SELECT calls, total_exec_time, rows, regexp_replace(query, '\\s+', ' ', 'g') AS query
       FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT ?`,
    [limit],
  );
  return rows.map((r: { calls: string; total_exec_time: number; rows: string; query: string }) =>
    `${(r.total_exec_time / 1000).toFixed(2).padStart(7)} s ${String(r.calls).padStart(6)} calls ${String(r.rows).padStart(8)} rows  ${r.query.slice(0, 160)}`);
}
