import { Cond, parseQuery, QueryError } from './query';
import type { RegistryDef } from './registries';

/**
 * `disabled_criteria` of the Disability Registry's sync look-ups (get-disability-support,
 * get-disability-details, disabled): `{query_type, query}`. `idtype-value` and `predicate` queries
 * are the search ones; an `expression` is either the search form (`{type, value: {expression:
 * {query}}}`) or the look-ups' own example form `{"member.member_identifier": {"eq": "ABC451123"}}`:
 * attributes mapping to the predicate operators (`eq gt lt ge le in`, with or without `$`).
 */
const BARE_OPS: Record<string, string> = { eq: '$eq', gt: '$gt', lt: '$lt', ge: '$gte', le: '$lte', in: '$in' };
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function parseDisabledCriteria(def: RegistryDef, criteria: { query_type?: unknown; query?: unknown }): Cond {
  const { query_type: queryType, query } = criteria;
  if (queryType !== 'expression' || (isPlainObject(query) && isPlainObject(query.value))) return parseQuery(def, queryType, query);
  if (!isPlainObject(query) || Object.keys(query).length === 0) {
    throw new QueryError('rjct.search_criteria.invalid', 'disabled_criteria.query: must be {"<attribute>": {"eq": <value>}, ...} or {"type", "value": {"expression": {"query": ...}}}');
  }
  const rewritten = Object.fromEntries(
    Object.entries(query).map(([attr, cond]) => {
      if (!isPlainObject(cond) || attr.startsWith('$')) return [attr, cond];
      // Unknown operator names stay as they are, so the expression parser names them in its refusal.
      return [attr, Object.fromEntries(Object.entries(cond).map(([op, v]) => [BARE_OPS[op] ?? op, v]))];
    }),
  );
  return parseQuery(def, 'expression', { value: { expression: { query: rewritten } } });
}
