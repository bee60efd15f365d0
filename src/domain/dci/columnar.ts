import type { Cond, Op } from './query';

/**
 * A registry's indexed filter columns held in memory, one entry per record, so that a search's
 * exact total_count is a loop over typed arrays instead of visiting every candidate row in
 * PostgreSQL (over 1,000,000 records the bench's `$or`/`$ne` count visits 444,000 rows, 235-470 ms).
 * Only conditions on the registry's typed columns (migrations 20261203040001, 20261203060001) are
 * counted here, with the very semantics of the SQL toSql writes for them:
 * - a strings column (`text[]` of the strings `$eq` would match): `$eq` holds when the value is
 *   one of them, `$ne` when it is not, `$in` when one of the values is;
 * - a number column (every number the path reaches): `$lt`/`$lte` compare the smallest number,
 *   `$gt`/`$gte` the largest (a record with none matches neither). PostgreSQL compares exact
 *   numerics, so a column is counted here only if every record's numbers are exactly doubles
 *   (shortest round-trip decimals), see `exactDouble`; a query's value is a double already.
 * SQL's NULL (a bound of no number) counts as false: every NOT is `NOT coalesce(x, false)`, and AND
 * and OR only pass truth on, so a record matches exactly when it does with each NULL read as false.
 * Anything else (jsonb containment, unindexed attributes) makes the count undefined: the caller
 * counts in PostgreSQL.
 */
export interface NumberColumn {
  /** The smallest and the largest number of each record; NaN where it has none. */
  lo: Float64Array;
  hi: Float64Array;
}

export interface StringsColumn {
  /** Record i's strings are codes[offsets[i] .. offsets[i + 1]), each a position in `dictionary`. */
  offsets: Int32Array;
  codes: Int32Array;
  dictionary: Map<string, number>;
}

export interface ColumnarRecords {
  size: number;
  /** By column name; a number column absent here (not exact) is not counted in memory. */
  numbers: Map<string, NumberColumn>;
  strings: Map<string, StringsColumn>;
}

/** Whether a decimal (PostgreSQL numeric text) is exactly the double it parses to, written shortest. */
export function exactDouble(text: string): boolean {
  const n = Number(text);
  return Number.isFinite(n) && sameDecimal(text, String(n));
}

/** Two decimal spellings of one number: sign, significant digits and exponent compared. */
function sameDecimal(a: string, b: string): boolean {
  const ka = decimalKey(a);
  return ka !== undefined && ka === decimalKey(b);
}

function decimalKey(text: string): string | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text.trim());
  if (!m) return undefined;
  const [, sign, whole, fraction = '', exponent = '0'] = m;
  const digits = whole + fraction;
  const first = digits.search(/[1-9]/);
  if (first < 0) return '0';
  const significant = digits.slice(first).replace(/0+$/, '');
  // The position of the first significant digit relative to the decimal point.
  const point = whole.length - first + Number(exponent);
  return `${sign === '-' ? '-' : ''}${significant}e${point}`;
}

/** Collects one registry's columns record by record (sizes known up front: one count in the same snapshot). */
export class ColumnarBuilder {
  private n = 0;
  private readonly numbers = new Map<string, NumberColumn & { exact: boolean }>();
  private readonly strings = new Map<string, { offsets: Int32Array; codes: number[]; dictionary: Map<string, number> }>();

  constructor(
    private readonly size: number,
    numberColumns: string[],
    stringsColumns: string[],
  ) {
    for (const c of numberColumns) this.numbers.set(c, { lo: new Float64Array(size), hi: new Float64Array(size), exact: true });
    for (const c of stringsColumns) this.strings.set(c, { offsets: new Int32Array(size + 1), codes: [], dictionary: new Map() });
  }

  /** One record: each number column's smallest and largest number as PostgreSQL prints them (null: none), each strings column's strings. */
  add(numbers: Record<string, { lo: string | null; hi: string | null }>, strings: Record<string, string[] | null>): void {
    if (this.n === this.size) throw new Error(`more records than the ${this.size} counted`);
    const i = this.n++;
    for (const [name, col] of this.numbers) {
      const { lo, hi } = numbers[name];
      col.lo[i] = lo === null ? NaN : Number(lo);
      col.hi[i] = hi === null ? NaN : Number(hi);
      if (col.exact && ((lo !== null && !exactDouble(lo)) || (hi !== null && !exactDouble(hi)))) col.exact = false;
    }
    for (const [name, col] of this.strings) {
      for (const s of strings[name] ?? []) {
        let code = col.dictionary.get(s);
        if (code === undefined) col.dictionary.set(s, (code = col.dictionary.size));
        col.codes.push(code);
      }
      col.offsets[i + 1] = col.codes.length;
    }
  }

  finish(): ColumnarRecords {
    if (this.n !== this.size) throw new Error(`${this.n} records read, ${this.size} counted`);
    const numbers = new Map<string, NumberColumn>();
    for (const [name, { lo, hi, exact }] of this.numbers) if (exact) numbers.set(name, { lo, hi });
    const strings = new Map<string, StringsColumn>();
    for (const [name, { offsets, codes, dictionary }] of this.strings) strings.set(name, { offsets, codes: Int32Array.from(codes), dictionary });
    return { size: this.size, numbers, strings };
  }
}

/** Whether every condition of the tree is on a column held here. */
export function covers(records: ColumnarRecords, cond: Cond): boolean {
  switch (cond.kind) {
    case 'and':
    case 'or':
      return cond.items.every((c) => covers(records, c));
    case 'not':
      return covers(records, cond.item);
    case 'contains':
      return false;
    case 'cmp': {
      const { attr, op } = cond;
      if (op === 'eq' || op === 'ne' || op === 'in') return attr.stringsColumn !== undefined && records.strings.has(attr.stringsColumn);
      return attr.column !== undefined && records.numbers.has(attr.column);
    }
  }
}

/** How many records match, or undefined when a condition is not on a column held here. */
export function countColumnar(records: ColumnarRecords, cond: Cond): number | undefined {
  if (!covers(records, cond)) return undefined;
  const match = evaluate(records, cond);
  let count = 0;
  for (let i = 0; i < match.length; i++) count += match[i];
  return count;
}

/** 1 where the record matches, 0 where not (NULL read as false, see the module comment). */
function evaluate(records: ColumnarRecords, cond: Cond): Uint8Array {
  const n = records.size;
  switch (cond.kind) {
    case 'and':
    case 'or': {
      const [first, ...rest] = cond.items.map((c) => evaluate(records, c));
      for (const other of rest) {
        if (cond.kind === 'and') for (let i = 0; i < n; i++) first[i] &= other[i];
        else for (let i = 0; i < n; i++) first[i] |= other[i];
      }
      return first;
    }
    case 'not': {
      const inner = evaluate(records, cond.item);
      for (let i = 0; i < n; i++) inner[i] ^= 1;
      return inner;
    }
    case 'cmp':
      return cond.op === 'eq' || cond.op === 'ne' || cond.op === 'in'
        ? stringsMatch(records.strings.get(cond.attr.stringsColumn!)!, n, cond.op, cond.value as string | string[])
        : numberMatch(records.numbers.get(cond.attr.column!)!, n, cond.op, cond.value as number);
    case 'contains':
      throw new Error('containment is counted in PostgreSQL (covers() is false)');
  }
}

function stringsMatch(col: StringsColumn, n: number, op: 'eq' | 'ne' | 'in', value: string | string[]): Uint8Array {
  const wanted = new Uint8Array(col.dictionary.size);
  for (const v of op === 'in' ? (value as string[]) : [value as string]) {
    const code = col.dictionary.get(v);
    if (code !== undefined) wanted[code] = 1;
  }
  const out = new Uint8Array(n);
  const { offsets, codes } = col;
  for (let i = 0; i < n; i++) {
    let hit = 0;
    for (let j = offsets[i]; j < offsets[i + 1] && !hit; j++) hit = wanted[codes[j]];
    out[i] = op === 'ne' ? hit ^ 1 : hit;
  }
  return out;
}

function numberMatch(col: NumberColumn, n: number, op: Exclude<Op, 'eq' | 'ne' | 'in'>, v: number): Uint8Array {
  const out = new Uint8Array(n);
  const { lo, hi } = col;
  // NaN (no number) compares false every way, as SQL's NULL bound and an empty multirange's overlap do.
  if (op === 'lt') for (let i = 0; i < n; i++) out[i] = lo[i] < v ? 1 : 0;
  else if (op === 'lte') for (let i = 0; i < n; i++) out[i] = lo[i] <= v ? 1 : 0;
  else if (op === 'gt') for (let i = 0; i < n; i++) out[i] = hi[i] > v ? 1 : 0;
  else for (let i = 0; i < n; i++) out[i] = hi[i] >= v ? 1 : 0;
  return out;
}
