import type { Knex } from 'knex';

/** One plan node: its type, for index scans the index, and the rows the planner expects from it. */
export interface PlanNode {
  type: string;
  index?: string;
  rows: number;
}

/**
 * The plan PostgreSQL chooses for a query, flattened to its node types in tree order. The values
 * stay bound parameters (never spliced into the SQL text: searches EXPLAIN their own queries),
 * and the planner sees them, as it does for the custom plan of a one-off parameterised query.
 */
export async function explainNodes(db: Knex | Knex.Transaction, query: Knex.QueryBuilder | Knex.Raw): Promise<PlanNode[]> {
  const { sql, bindings } = query.toSQL();
  const result = await db.raw(`EXPLAIN (FORMAT JSON) ${sql}`, bindings as Knex.RawBinding[]);
  const nodes: PlanNode[] = [];
  const walk = (plan: any) => {
    nodes.push({ type: plan['Node Type'], ...(plan['Index Name'] ? { index: plan['Index Name'] } : {}), rows: plan['Plan Rows'] });
    for (const child of plan.Plans ?? []) walk(child);
  };
  walk(result.rows[0]['QUERY PLAN'][0].Plan);
  return nodes;
}

export const describePlan = (nodes: PlanNode[]) => nodes.map((n) => (n.index ? `${n.type}(${n.index})` : n.type)).join(' > ');
