import { Attribute, isSingleValued, resolveAttribute } from './catalogue';
import type { RegistryDef } from './registries';

/**
 * DCI search queries (`idtype-value`, `expression`, `predicate`), sort and pagination: parsed
 * into a small condition tree checked against the registry's attribute catalogue, then translated
 * into parameterised SQL over the record's jsonb column. Values only ever travel as bindings.
 */
export type SearchReasonCode =
  | 'rjct.search_criteria.invalid'
  | 'rjct.filter.invalid'
  | 'rjct.sort.invalid'
  | 'rjct.pagination.invalid';

export class QueryError extends Error {
  constructor(
    readonly reasonCode: SearchReasonCode,
    message: string,
  ) {
    super(message);
  }
}

export type Scalar = string | number | boolean;
export type Op = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in';

export type Cond =
  | { kind: 'and' | 'or'; items: Cond[] }
  | { kind: 'not'; item: Cond }
  | { kind: 'cmp'; attr: Attribute; op: Op; value: Scalar | Scalar[] }
  /**
   * The record contains this JSON document (jsonb @>): identifier pairs. `identifier`: the value
   * the record's identifier column must then hold (the document pins the identifier path), so the
   * unique btree on (registry, identifier) finds the record.
   */
  | { kind: 'contains'; doc: unknown; identifier?: string };

export interface SortKey {
  attr: Attribute;
  order: 'asc' | 'desc';
}

export interface Pagination {
  pageSize: number;
  /** Absent: every page (async search delivers them one callback each). */
  pageNumber?: number;
}

export const MAX_PAGE_SIZE = 2000;
const MAX_NODES = 200;
const MAX_DEPTH = 10;
const MAX_IN_VALUES = 1000;
const MAX_SORT_KEYS = 5;

const EXPRESSION_OPS: Record<string, Op> = { $eq: 'eq', $ne: 'ne', $gt: 'gt', $gte: 'gte', $lt: 'lt', $lte: 'lte', $in: 'in' };
const PREDICATE_OPS: Record<string, Op> = { eq: 'eq', gt: 'gt', lt: 'lt', ge: 'gte', le: 'lte', in: 'in' };
export const QUERY_TYPES = ['idtype-value', 'expression', 'predicate'] as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const describe = (v: unknown) => (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/** Parses a query of the given query_type (search criteria `query`, or subscription `filter`). */
export function parseQuery(def: RegistryDef, queryType: unknown, query: unknown): Cond {
  switch (queryType) {
    case 'expression':
      return parseExpressionQuery(def, query);
    case 'idtype-value':
      return parseIdTypeValue(def, query);
    case 'predicate':
      return parsePredicate(def, query);
    case 'graphql':
      throw new QueryError('rjct.search_criteria.invalid', `query_type "graphql" is not supported; use ${QUERY_TYPES.join(', ')}`);
    default:
      throw new QueryError('rjct.search_criteria.invalid', `query_type must be one of ${QUERY_TYPES.join(', ')} (got ${JSON.stringify(queryType)})`);
  }
}

/** `{type, value: {expression: {query: {...}}}}` as in the seeds (also `value.expression` holding the operators directly). */
function parseExpressionQuery(def: RegistryDef, query: unknown): Cond {
  const value = isPlainObject(query) ? query.value : undefined;
  const expression = isPlainObject(value) ? value.expression : undefined;
  const root = isPlainObject(expression) && isPlainObject(expression.query) ? expression.query : expression;
  if (!isPlainObject(root)) {
    throw new QueryError('rjct.search_criteria.invalid', 'an expression query must be {"type": ..., "value": {"expression": {"query": {...}}}}');
  }
  const counter = { nodes: 0 };
  return parseExpression(def, root, 'query.value.expression.query', 0, counter);
}

function parseExpression(def: RegistryDef, node: unknown, at: string, depth: number, counter: { nodes: number }): Cond {
  if (depth > MAX_DEPTH) throw new QueryError('rjct.filter.invalid', `${at}: nested deeper than ${MAX_DEPTH} levels`);
  if (!isPlainObject(node) || Object.keys(node).length === 0) {
    throw new QueryError('rjct.filter.invalid', `${at}: must be a non-empty object of conditions (got ${describe(node)})`);
  }
  const items: Cond[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (++counter.nodes > MAX_NODES) throw new QueryError('rjct.filter.invalid', `query has more than ${MAX_NODES} conditions`);
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) {
        throw new QueryError('rjct.filter.invalid', `${at}.${key}: must be a non-empty array of conditions`);
      }
      const sub = value.map((v, i) => parseExpression(def, v, `${at}.${key}[${i}]`, depth + 1, counter));
      items.push({ kind: key === '$and' ? 'and' : 'or', items: sub });
    } else if (key.startsWith('$')) {
      throw new QueryError('rjct.filter.invalid', `${at}: unknown operator ${key}; supported: $and, $or, ${Object.keys(EXPRESSION_OPS).join(', ')}`);
    } else {
      const attr = attribute(def, key, `${at}.${key}`);
      if (isPlainObject(value)) {
        const ops = Object.entries(value);
        if (ops.length === 0) throw new QueryError('rjct.filter.invalid', `${at}.${key}: needs an operator such as {"$eq": ...}`);
        for (const [opKey, operand] of ops) {
          const op = EXPRESSION_OPS[opKey];
          if (!op) {
            throw new QueryError('rjct.filter.invalid', `${at}.${key}: unknown operator ${opKey}; supported: ${Object.keys(EXPRESSION_OPS).join(', ')}`);
          }
          items.push(comparison(attr, op, operand, `${at}.${key}.${opKey}`));
        }
      } else {
        items.push(comparison(attr, 'eq', value, `${at}.${key}`)); // {"attr": value} means $eq
      }
    }
  }
  return items.length === 1 ? items[0] : { kind: 'and', items };
}

function attribute(def: RegistryDef, name: unknown, at: string): Attribute {
  if (typeof name !== 'string' || name === '') throw new QueryError('rjct.filter.invalid', `${at}: attribute name must be a non-empty string`);
  const attr = resolveAttribute(def.catalogue, def.pathAliases, name);
  if (!attr) throw new QueryError('rjct.filter.invalid', `${at}: unknown attribute "${name}" for ${def.recordType}`);
  return attr;
}

function comparison(attr: Attribute, op: Op, operand: unknown, at: string): Cond {
  if (op === 'in') {
    if (!Array.isArray(operand) || operand.length === 0 || operand.length > MAX_IN_VALUES) {
      throw new QueryError('rjct.filter.invalid', `${at}: must be an array of 1-${MAX_IN_VALUES} values`);
    }
    return { kind: 'cmp', attr, op, value: operand.map((v, i) => scalar(attr, v, `${at}[${i}]`)) };
  }
  const value = scalar(attr, operand, at);
  if (attr.type === 'boolean' && op !== 'eq' && op !== 'ne') {
    throw new QueryError('rjct.filter.invalid', `${at}: ${attr.path} is a boolean; only equality operators apply`);
  }
  return { kind: 'cmp', attr, op, value };
}

function scalar(attr: Attribute, v: unknown, at: string): Scalar {
  if (typeof v !== attr.type || (typeof v === 'number' && !Number.isFinite(v))) {
    throw new QueryError('rjct.filter.invalid', `${at}: ${attr.path} holds ${attr.type} values (got ${describe(v)})`);
  }
  return v as Scalar;
}

/** `{type: "<identifier type>", value: "<identifier>"}`. */
function parseIdTypeValue(def: RegistryDef, query: unknown): Cond {
  if (!isPlainObject(query) || typeof query.type !== 'string' || !['string', 'number'].includes(typeof query.value)) {
    throw new QueryError('rjct.search_criteria.invalid', 'an idtype-value query must be {"type": "<identifier type>", "value": "<identifier>"}');
  }
  const { types, match, path } = def.idTypes;
  if (types !== 'any' && !types.includes(query.type)) {
    throw new QueryError('rjct.search_criteria.invalid', `query.type: unknown identifier type "${query.type}"; use one of ${types.join(', ')}`);
  }
  const value = String(query.value);
  const leaf = match === 'typed' ? { identifier_type: query.type, identifier_value: value } : value;
  const pinsIdentifier = def.identifierPath === (match === 'typed' ? `${path}.identifier_value` : path);
  return { kind: 'contains', doc: nestUnder(path.split('.'), leaf), ...(pinsIdentifier ? { identifier: value } : {}) };
}

/** `[{seq_num, expression1: {attribute_name, operator, attribute_value}, condition, expression2}]`, items ANDed in seq_num order. */
function parsePredicate(def: RegistryDef, query: unknown): Cond {
  if (!Array.isArray(query) || query.length === 0 || query.length > MAX_NODES / 2) {
    throw new QueryError('rjct.search_criteria.invalid', `a predicate query must be an array of 1-${MAX_NODES / 2} predicates`);
  }
  const items = query
    .map((p, i) => ({ p, i, seq: isPlainObject(p) && typeof p.seq_num === 'number' ? p.seq_num : i }))
    .sort((a, b) => a.seq - b.seq || a.i - b.i)
    .map(({ p, i }) => {
      const at = `query[${i}]`;
      if (!isPlainObject(p)) throw new QueryError('rjct.filter.invalid', `${at}: must be an object with expression1`);
      const first = predicateExpression(def, p.expression1, `${at}.expression1`);
      if (p.condition === undefined && p.expression2 === undefined) return first;
      if (p.condition !== 'and' && p.condition !== 'or' && p.condition !== 'not') {
        throw new QueryError('rjct.filter.invalid', `${at}.condition: must be and, or or not (got ${JSON.stringify(p.condition)})`);
      }
      const second = predicateExpression(def, p.expression2, `${at}.expression2`);
      if (p.condition === 'not') return { kind: 'and', items: [first, { kind: 'not', item: second }] } as Cond;
      return { kind: p.condition, items: [first, second] } as Cond;
    });
  return items.length === 1 ? items[0] : { kind: 'and', items };
}

function predicateExpression(def: RegistryDef, e: unknown, at: string): Cond {
  if (!isPlainObject(e)) throw new QueryError('rjct.filter.invalid', `${at}: must be {attribute_name, operator, attribute_value}`);
  const attr = attribute(def, e.attribute_name, `${at}.attribute_name`);
  const op = typeof e.operator === 'string' ? PREDICATE_OPS[e.operator] : undefined;
  if (!op) {
    throw new QueryError('rjct.filter.invalid', `${at}.operator: unknown operator ${JSON.stringify(e.operator)}; supported: ${Object.keys(PREDICATE_OPS).join(', ')}`);
  }
  return comparison(attr, op, e.attribute_value, `${at}.attribute_value`);
}

export function parseSort(def: RegistryDef, sort: unknown): SortKey[] {
  if (sort === undefined) return [];
  if (!Array.isArray(sort) || sort.length > MAX_SORT_KEYS) throw new QueryError('rjct.sort.invalid', `sort: must be an array of at most ${MAX_SORT_KEYS} keys`);
  return sort.map((s, i) => {
    if (!isPlainObject(s) || typeof s.attribute_name !== 'string') throw new QueryError('rjct.sort.invalid', `sort[${i}]: must be {attribute_name, sort_order}`);
    const attr = resolveAttribute(def.catalogue, def.pathAliases, s.attribute_name);
    if (!attr) throw new QueryError('rjct.sort.invalid', `sort[${i}].attribute_name: unknown attribute "${s.attribute_name}" for ${def.recordType}`);
    if (!isSingleValued(attr)) throw new QueryError('rjct.sort.invalid', `sort[${i}].attribute_name: ${attr.path} lies inside a list and cannot be sorted on`);
    const order = s.sort_order ?? 'asc';
    if (order !== 'asc' && order !== 'desc') throw new QueryError('rjct.sort.invalid', `sort[${i}].sort_order: must be asc or desc`);
    return { attr, order };
  });
}

export function parsePagination(pagination: unknown): Pagination | undefined {
  if (pagination === undefined) return undefined;
  if (!isPlainObject(pagination)) throw new QueryError('rjct.pagination.invalid', 'pagination: must be {page_size, page_number}');
  const { page_size: size, page_number: number } = pagination;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new QueryError('rjct.pagination.invalid', `pagination.page_size: must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  if (number !== undefined && (typeof number !== 'number' || !Number.isInteger(number) || number < 1)) {
    throw new QueryError('rjct.pagination.invalid', 'pagination.page_number: must be an integer from 1 (pages count from 1)');
  }
  return { pageSize: size, pageNumber: number as number | undefined };
}

export interface ParsedSearch {
  where: Cond;
  sort: SortKey[];
  pagination?: Pagination;
}

/** A search_request item's search_criteria: registry and record type, query, sort, pagination. */
export function parseSearchCriteria(def: RegistryDef, criteria: unknown): ParsedSearch {
  if (!isPlainObject(criteria)) throw new QueryError('rjct.search_criteria.invalid', 'search_criteria: must be an object');
  if (criteria.reg_type !== undefined && criteria.reg_type !== def.regType) {
    throw new QueryError('rjct.search_criteria.invalid', `search_criteria.reg_type: this is the ${def.name} (${def.regType}), not ${JSON.stringify(criteria.reg_type)}`);
  }
  const recordType = criteria.reg_record_type;
  if (recordType !== undefined && recordType !== def.recordType && !def.recordTypeAliases.includes(recordType as string)) {
    throw new QueryError('rjct.search_criteria.invalid', `search_criteria.reg_record_type: records here are ${def.recordType}`);
  }
  return {
    where: parseQuery(def, criteria.query_type, criteria.query),
    sort: parseSort(def, criteria.sort),
    pagination: parsePagination(criteria.pagination),
  };
}

export interface SqlFragment {
  sql: string;
  bindings: unknown[];
}

/** `{a: [{b: value}]}` for path a[].b: the document jsonb containment (`@>`) matches. */
function nest(attr: Attribute, value: Scalar): unknown {
  let doc: unknown = attr.arrays[attr.arrays.length - 1] ? [value] : value;
  for (let i = attr.segments.length - 1; i >= 0; i--) {
    doc = { [attr.segments[i]]: doc };
    if (i > 0 && attr.arrays[i - 1]) doc = [doc];
  }
  return doc;
}

function nestUnder(segments: string[], leaf: unknown): unknown {
  return segments.reduceRight<unknown>((acc, s) => ({ [s]: acc }), leaf);
}

/** Comparison operators, spelled the same in jsonpath filters and in SQL. */
const COMPARISON_OPS: Partial<Record<Op, string>> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** A jsonpath over the attribute; lax mode walks into arrays on the way. Segments come from the catalogue, never from input. */
function jsonPath(attr: Attribute, op: Op): string {
  const steps = attr.segments.map((s) => `."${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('');
  return `$${steps} ? (@ ${COMPARISON_OPS[op]} $v)`;
}

/** numrange bounds of `attribute <op> value` ranges: the value as the lower or upper end. */
const RANGE_OF: Partial<Record<Op, { lower: boolean; bounds: string }>> = {
  gt: { lower: true, bounds: '()' },
  gte: { lower: true, bounds: '[)' },
  lt: { lower: false, bounds: '()' },
  lte: { lower: false, bounds: '(]' },
};

/**
 * A range condition on an indexed number attribute, over its stored column (every number the path
 * reaches, as a nummultirange of points): the same matches as the jsonpath filter.
 * - Inside a list (several numbers a record): the column overlaps the range (its GiST index).
 * - Single-valued: the smallest number is below (`lt`/`lte`) or the largest above (`gt`/`gte`) the
 *   value, which holds exactly when some number is: `lower(col) < $1`, `upper(col) > $1`, each
 *   answered by a btree on that expression (migration 20261203060001), which builds its bitmap of
 *   200,000 matches in a quarter of the GiST index's time. A record without the number gives NULL
 *   there, not false: `not` conditions coalesce (see toSql).
 * The column name comes from the registry definition, never from input.
 */
function numberRange(attr: Attribute, column: string, op: Op, value: number): SqlFragment {
  const { lower, bounds } = RANGE_OF[op]!;
  if (isSingleValued(attr)) return { sql: `(${lower ? 'upper' : 'lower'}(${column}) ${COMPARISON_OPS[op]} ?::numeric)`, bindings: [value] };
  const range = lower ? `numrange(?::numeric, NULL, '${bounds}')` : `numrange(NULL, ?::numeric, '${bounds}')`;
  return { sql: `(${column} && ${range})`, bindings: [value] };
}

/**
 * Equality on an attribute with a strings column (every string `$eq` would match there): exact
 * array operators its GIN index answers without rechecking any jsonb.
 */
function stringsCondition(column: string, op: 'eq' | 'ne' | 'in', value: Scalar | Scalar[]): SqlFragment {
  const values = op === 'in' ? (value as Scalar[]) : [value as Scalar];
  const array = `ARRAY[${values.map(() => '?').join(', ')}]::text[]`;
  if (op === 'in') return { sql: `(${column} && ${array})`, bindings: values };
  return { sql: op === 'eq' ? `(${column} @> ${array})` : `(NOT ${column} @> ${array})`, bindings: values };
}

/** A column of registry_records, qualified by the table alias when one is given. */
const qualified = (table: string, name: string) => (table ? `${table}.${name}` : name);

/**
 * Translates a condition tree into a WHERE fragment over registry_records (columns qualified by
 * `table` when given, e.g. `r`). Column names come from the registry definition, never from input.
 */
export function toSql(cond: Cond, table = ''): SqlFragment {
  const col = (name: string) => qualified(table, name);
  switch (cond.kind) {
    case 'and':
    case 'or': {
      const parts = cond.items.map((c) => toSql(c, table));
      return { sql: `(${parts.map((p) => p.sql).join(cond.kind === 'and' ? ' AND ' : ' OR ')})`, bindings: parts.flatMap((p) => p.bindings) };
    }
    case 'not': {
      // coalesce: a condition unknown (NULL) for a record, such as a bound of a number it lacks, is false there, so its negation is true.
      const inner = toSql(cond.item, table);
      return { sql: `NOT coalesce(${inner.sql}, false)`, bindings: inner.bindings };
    }
    case 'contains':
      if (cond.identifier !== undefined) {
        return { sql: `(${col('identifier')} = ? AND ${col('record')} @> ?::jsonb)`, bindings: [cond.identifier, JSON.stringify(cond.doc)] };
      }
      return { sql: `(${col('record')} @> ?::jsonb)`, bindings: [JSON.stringify(cond.doc)] };
    case 'cmp': {
      const { attr, op, value } = cond;
      if (attr.stringsColumn && (op === 'eq' || op === 'ne' || op === 'in')) return stringsCondition(col(attr.stringsColumn), op, value);
      const column = col('record');
      if (op === 'eq') return { sql: `(${column} @> ?::jsonb)`, bindings: [JSON.stringify(nest(attr, value as Scalar))] };
      if (op === 'ne') return { sql: `(NOT ${column} @> ?::jsonb)`, bindings: [JSON.stringify(nest(attr, value as Scalar))] };
      if (op === 'in') {
        const values = value as Scalar[];
        return { sql: `(${values.map(() => `${column} @> ?::jsonb`).join(' OR ')})`, bindings: values.map((v) => JSON.stringify(nest(attr, v))) };
      }
      if (attr.column) return numberRange(attr, col(attr.column), op, value as number);
      return { sql: `jsonb_path_exists(${column}, ?::jsonpath, ?::jsonb)`, bindings: [jsonPath(attr, op), JSON.stringify({ v: value })] };
    }
  }
}

/**
 * A sort key's value expression. Only single-valued attributes are sorted on, so an attribute's
 * typed column holds at most one value: the number (`lower` of its multirange, the one point) or
 * the string (`[1]`). Read there, not from the record, which lies out of line and would be fetched
 * for every match. Where a record strays from the catalogue (null, another type, a list where one
 * value belongs) the column holds no value, or the smallest number, and the record sorts with those
 * lacking the attribute (or by that number), not by jsonb's order of types.
 */
export function sortKeySql(s: SortKey, table = ''): SqlFragment {
  const col = (name: string) => qualified(table, name);
  if (s.attr.column) return { sql: `lower(${col(s.attr.column)})`, bindings: [] };
  if (s.attr.stringsColumn) return { sql: `${col(s.attr.stringsColumn)}[1]`, bindings: [] };
  return { sql: `${col('record')} #> ?::text[]`, bindings: [s.attr.segments] };
}

/**
 * The order of a search's matches over `keys`, each sort key's value as SQL (its expression, or
 * the alias a query gave it), then `id` so pages never overlap. Every way of reading a page orders
 * by this, so that they give the same page.
 */
export function orderOverKeys(sort: SortKey[], keys: string[], id: string): string {
  return [...keys.map((k, i) => `${k} ${sort[i].order === 'desc' ? 'DESC' : 'ASC'} NULLS LAST`), `${id} ASC`].join(', ');
}

/** ORDER BY fragment: the sort keys' expressions, then the record ID. */
export function orderBySql(sort: SortKey[], table = ''): SqlFragment {
  const keys = sort.map((s) => sortKeySql(s, table));
  return { sql: orderOverKeys(sort, keys.map((k) => k.sql), qualified(table, 'id')), bindings: keys.flatMap((k) => k.bindings) };
}
