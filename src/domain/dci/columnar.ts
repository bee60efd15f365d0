import type { Cond, Op, SortKey } from './query';

/**
 * A registry's indexed filter columns held in memory, so that a search's matches are a set of bits
 * (one a record, in id order) built from posting lists and number arrays, instead of every
 * candidate row visited in PostgreSQL (over 1,000,000 records the bench's `$or`/`$ne` count visits
 * 444,000 rows, 235-470 ms; here its matches take ~5 ms: a string condition sets the bits of its
 * postings, a number range compares one array, `and`/`or`/`not` combine 32 records a word).
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
  /**
   * Posting lists: the records holding the string of code c are postings[starts[c] .. starts[c + 1]),
   * ascending, c its position in `dictionary`. So `$eq` sets the bits of its matches only.
   */
  starts: Int32Array;
  postings: Int32Array;
  dictionary: Map<string, number>;
}

export interface ColumnarRecords {
  size: number;
  /** Record i's UUID as 16 bytes at 16 * i; records are held in ascending UUID order, PostgreSQL's order of `id`. */
  ids: Uint8Array;
  /** By column name; a number column absent here (not exact) is not counted in memory. */
  numbers: Map<string, NumberColumn>;
  strings: Map<string, StringsColumn>;
}

/** Whether a decimal (PostgreSQL numeric text) is exactly the double it parses to, written shortest. */
export function exactDouble(text: string): boolean {
  const n = Number(text);
  if (!Number.isFinite(n)) return false;
  const shortest = String(n);
  // Most values ("42", "9.55") are spelled the shortest way already: no need to compare digits.
  return shortest === text || sameDecimal(text, shortest);
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

/**
 * Collects one registry's columns record by record, in any order, and holds them in ascending `id`
 * order (sizes known up front: one count in the same snapshot). Sorting here, not in PostgreSQL:
 * over 1,000,000 records `ORDER BY id` made the read 12 s instead of 5 s. A row is positional:
 * the UUID, then each number column's smallest and largest number as PostgreSQL prints them
 * (null: none), then each strings column's strings.
 */
export class ColumnarBuilder {
  private n = 0;
  private readonly ids: Uint8Array;
  private readonly numbers: (NumberColumn & { name: string; exact: boolean })[];
  /** `codes` grows by doubling: a typed array lies outside the V8 heap, which the API caps (API_MAX_OLD_SPACE_MB). */
  private readonly strings: { name: string; offsets: Int32Array; codes: Int32Array; length: number; dictionary: Map<string, number> }[];

  constructor(
    private readonly size: number,
    numberColumns: string[],
    stringsColumns: string[],
  ) {
    this.ids = new Uint8Array(16 * size);
    this.numbers = numberColumns.map((name) => ({ name, lo: new Float64Array(size), hi: new Float64Array(size), exact: true }));
    this.strings = stringsColumns.map((name) => ({ name, offsets: new Int32Array(size + 1), codes: new Int32Array(Math.max(16, size)), length: 0, dictionary: new Map() }));
  }

  add(row: readonly (string | string[] | null)[]): void {
    if (this.n === this.size) throw new Error(`more records than the ${this.size} counted`);
    const i = this.n;
    putUuid(row[0] as string, this.ids, 16 * i);
    this.n++;
    let at = 1;
    for (const col of this.numbers) {
      const lo = row[at++] as string | null;
      const hi = row[at++] as string | null;
      col.lo[i] = lo === null ? NaN : Number(lo);
      col.hi[i] = hi === null ? NaN : Number(hi);
      if (col.exact && ((lo !== null && !exactDouble(lo)) || (hi !== null && !exactDouble(hi)))) col.exact = false;
    }
    for (const col of this.strings) {
      for (const s of (row[at++] as string[] | null) ?? []) {
        let code = col.dictionary.get(s);
        if (code === undefined) col.dictionary.set(s, (code = col.dictionary.size));
        if (col.length === col.codes.length) {
          const grown = new Int32Array(2 * col.codes.length);
          grown.set(col.codes);
          col.codes = grown;
        }
        col.codes[col.length++] = code;
      }
      col.offsets[i + 1] = col.length;
    }
  }

  finish(): ColumnarRecords {
    if (this.n !== this.size) throw new Error(`${this.n} records read, ${this.size} counted`);
    const order = idOrder(this.ids, this.size);
    // Plain loops: typed-array from()/forEach with a callback took seconds over a million records.
    const ids = new Uint8Array(this.ids.length);
    for (let to = 0; to < this.size; to++) for (let b = 0; b < 16; b++) ids[16 * to + b] = this.ids[16 * order[to] + b];
    const permuted = (values: Float64Array) => {
      const out = new Float64Array(this.size);
      for (let to = 0; to < this.size; to++) out[to] = values[order[to]];
      return out;
    };
    for (let i = 1; i < this.size; i++) if (compareIds(ids, i - 1, ids, i) === 0) throw new Error(`record id ${idText(ids, i)} read twice`);
    const numbers = new Map<string, NumberColumn>();
    for (const { name, lo, hi, exact } of this.numbers) {
      if (exact) numbers.set(name, { lo: permuted(lo), hi: permuted(hi) });
    }
    const strings = new Map<string, StringsColumn>();
    for (const { name, offsets, codes, length, dictionary } of this.strings) {
      // A counting sort by code; visiting records in held order keeps each list ascending.
      const starts = new Int32Array(dictionary.size + 1);
      for (let j = 0; j < length; j++) starts[codes[j] + 1]++;
      for (let c = 1; c <= dictionary.size; c++) starts[c] += starts[c - 1];
      const next = starts.slice(0, dictionary.size);
      const postings = new Int32Array(length);
      for (let to = 0; to < this.size; to++) for (let j = offsets[order[to]]; j < offsets[order[to] + 1]; j++) postings[next[codes[j]]++] = to;
      strings.set(name, { starts, postings, dictionary });
    }
    return { size: this.size, ids, numbers, strings };
  }
}

/**
 * Positions in ascending id order: placed by their first two bytes (a counting sort), then each
 * bucket sorted by every byte. Random UUIDs leave ~15 a bucket at 1,000,000 records: 0.3 s where
 * one comparison sort of all of them took 4 s.
 */
function idOrder(ids: Uint8Array, size: number): Int32Array {
  const starts = new Int32Array(65537);
  for (let i = 0; i < size; i++) starts[((ids[16 * i] << 8) | ids[16 * i + 1]) + 1]++;
  for (let k = 1; k <= 65536; k++) starts[k] += starts[k - 1];
  const order = new Int32Array(size);
  const next = starts.slice(0, 65536);
  for (let i = 0; i < size; i++) order[next[(ids[16 * i] << 8) | ids[16 * i + 1]]++] = i;
  for (let k = 0; k < 65536; k++) if (starts[k + 1] - starts[k] > 1) order.subarray(starts[k], starts[k + 1]).sort((a, b) => compareIds(ids, a, ids, b));
  return order;
}

/** Writes a UUID's 16 bytes at `at`, or throws if it is not one as PostgreSQL prints them. */
function putUuid(id: string, out: Uint8Array, at: number): void {
  let bad = typeof id !== 'string' || id.length !== 36;
  for (let b = 0, c = 0; b < 16 && !bad; b++, c += 2) {
    if (c === 8 || c === 13 || c === 18 || c === 23) bad ||= id.charCodeAt(c++) !== 45; // the dashes
    const [high, low] = [hexDigit(id.charCodeAt(c)), hexDigit(id.charCodeAt(c + 1))];
    bad ||= high < 0 || low < 0;
    out[at + b] = (high << 4) | low;
  }
  if (bad) throw new Error(`record id ${JSON.stringify(id)} is not a UUID`);
}

/** Byte order of record a's UUID in `x` and record b's in `y` (PostgreSQL compares uuid bytes the same way). */
function compareIds(x: Uint8Array, a: number, y: Uint8Array, b: number): number {
  for (let k = 0; k < 16; k++) {
    const d = x[16 * a + k] - y[16 * b + k];
    if (d !== 0) return d;
  }
  return 0;
}

/** The position of the record with these 16 id bytes (at 16 * i of `key`), or -1. */
function positionOf(records: ColumnarRecords, key: Uint8Array, i: number): number {
  let [lo, hi] = [0, records.size - 1];
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const d = compareIds(records.ids, mid, key, i);
    if (d === 0) return mid;
    if (d < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** A lowercase hex digit's value (PostgreSQL prints uuids so), or -1. */
const hexDigit = (code: number) => (code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1);

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function idText(ids: Uint8Array, i: number): string {
  let hex = '';
  for (let b = 16 * i; b < 16 * i + 16; b++) hex += HEX[ids[b]];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Columns brought up to date without reading every record again: the records written since `base`
 * was read are `dead` there (a bit a base record) and held, as they are now, in `extra` (those
 * deleted are in neither). A search counts and pages over both parts as over one set.
 */
export interface PatchedColumnar {
  base: ColumnarRecords;
  dead: Uint32Array;
  extra: ColumnarRecords;
}

export type Columnar = ColumnarRecords | PatchedColumnar;

/** `base` with the records of `written` (their ids) replaced by `extra`, their rows as they are now. */
export function patchColumnar(base: ColumnarRecords, written: readonly string[], extra: ColumnarRecords): PatchedColumnar {
  const dead = new Uint32Array((base.size + 31) >>> 5);
  const key = new Uint8Array(16);
  for (const id of written) {
    putUuid(id, key, 0);
    const at = positionOf(base, key, 0);
    if (at >= 0) dead[at >>> 5] |= 1 << (at & 31);
  }
  // A record in both parts, alive in base, would be counted twice.
  for (let i = 0; i < extra.size; i++) {
    const at = positionOf(base, extra.ids, i);
    if (at >= 0 && !(dead[at >>> 5] & (1 << (at & 31)))) throw new Error(`record ${idText(extra.ids, i)} is in the patch but not among the records written`);
  }
  return { base, dead, extra };
}

/** The parts a search walks: the records held, less those dead. */
function partsOf(columns: Columnar): { records: ColumnarRecords; dead?: Uint32Array }[] {
  return 'base' in columns ? [{ records: columns.base, dead: columns.dead }, { records: columns.extra }] : [{ records: columns }];
}

/** Records held (in every part, the dead ones left out). */
export function heldCount(columns: Columnar): number {
  let n = 0;
  for (const { records, dead } of partsOf(columns)) {
    n += records.size;
    if (dead) for (let w = 0; w < dead.length; w++) n -= bitCount(dead[w]);
  }
  return n;
}

/** The bytes of the typed arrays held (the string dictionaries aside: a few distinct values each). */
export function heldBytes(columns: Columnar): number {
  let total = 0;
  for (const { records, dead } of partsOf(columns)) {
    total += records.ids.byteLength + (dead?.byteLength ?? 0);
    for (const { lo, hi } of records.numbers.values()) total += lo.byteLength + hi.byteLength;
    for (const { starts, postings } of records.strings.values()) total += starts.byteLength + postings.byteLength;
  }
  return total;
}

/** Whether every condition of the tree is on a column held here (in every part). */
export function covers(columns: Columnar, cond: Cond): boolean {
  return partsOf(columns).every(({ records }) => coversPart(records, cond));
}

function coversPart(records: ColumnarRecords, cond: Cond): boolean {
  switch (cond.kind) {
    case 'and':
    case 'or':
      return cond.items.every((c) => coversPart(records, c));
    case 'not':
      return coversPart(records, cond.item);
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
export function countColumnar(columns: Columnar, cond: Cond): number | undefined {
  return pageColumnar(columns, cond, [], 0, 0)?.total;
}

/**
 * One page of the matches in the search's order and their total, or undefined when a condition or
 * a sort key is not on a column held here. The order is orderBySql's: each sort key's value (a
 * number column's `lower`, NULLS LAST either way), then `id`, the records' held order. Over a
 * patched view each part gives its first offset + limit matches in that order, and the page is
 * taken from the two lists merged.
 */
export function pageColumnar(columns: Columnar, cond: Cond, sort: SortKey[], offset: number, limit: number): { total: number; ids: string[] } | undefined {
  const parts = partsOf(columns).map(({ records, dead }) => ({
    records,
    dead,
    keys: sort.map((s) => ({ values: s.attr.column ? records.numbers.get(s.attr.column)?.lo : undefined, desc: s.order === 'desc' })),
  }));
  if (!covers(columns, cond) || parts.some((p) => p.keys.some((k) => !k.values))) return undefined;
  let total = 0;
  const matches = parts.map(({ records, dead }) => {
    const match = evaluate(records, cond);
    if (dead) for (let w = 0; w < match.length; w++) match[w] &= ~dead[w];
    for (let w = 0; w < match.length; w++) total += bitCount(match[w]);
    return match;
  });
  const wanted = Math.max(0, Math.min(limit, total - offset));
  if (wanted === 0) return { total, ids: [] };
  /** Sort keys of record a of part x against record b of part y, then ids. */
  const compare = (x: (typeof parts)[number], a: number, y: (typeof parts)[number], b: number) => {
    for (let k = 0; k < x.keys.length; k++) {
      const { desc } = x.keys[k];
      const [va, vb] = [x.keys[k].values![a], y.keys[k].values![b]];
      if (Number.isNaN(va) || Number.isNaN(vb)) {
        if (Number.isNaN(va) !== Number.isNaN(vb)) return Number.isNaN(vb) ? -1 : 1; // NULLS LAST
      } else if (va !== vb) return (va < vb) !== desc ? -1 : 1;
    }
    return x === y ? a - b : compareIds(x.records.ids, a, y.records.ids, b);
  };
  const firsts = parts.map((part, p) => {
    const k = offset + wanted;
    if (part.keys.length > 0) return firstInOrder(matches[p], k, (a, b) => compare(part, a, part, b));
    const first: number[] = [];
    forEachBit(matches[p], (i) => first.push(i) < k);
    return first;
  });
  const merged = parts.flatMap((part, p) => firsts[p].map((i) => ({ part, i })));
  if (parts.length > 1) merged.sort((a, b) => compare(a.part, a.i, b.part, b.i));
  return { total, ids: merged.slice(offset, offset + wanted).map(({ part, i }) => idText(part.records.ids, i)) };
}

/** A record set: bit i of word i >>> 5 is record i; bits past the last record stay 0. */
type Bits = Uint32Array;

function bitCount(w: number): number {
  w -= (w >>> 1) & 0x55555555;
  w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
  return (Math.imul((w + (w >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}

/** Calls `visit` with each record in the set, ascending, while it returns true. */
function forEachBit(bits: Bits, visit: (i: number) => boolean): void {
  for (let w = 0; w < bits.length; w++) {
    for (let word = bits[w]; word !== 0; word &= word - 1) {
      if (!visit(32 * w + 31 - Math.clz32(word & -word))) return;
    }
  }
}

/** The first `k` matching positions in `before`'s order: a bounded max-heap, so k log k memory and n log k time. */
function firstInOrder(match: Bits, k: number, before: (a: number, b: number) => number): number[] {
  const heap: number[] = [];
  const up = (j: number) => {
    while (j > 0) {
      const parent = (j - 1) >> 1;
      if (before(heap[parent], heap[j]) >= 0) return;
      [heap[parent], heap[j]] = [heap[j], heap[parent]];
      j = parent;
    }
  };
  const down = (j: number) => {
    for (;;) {
      const [l, r] = [2 * j + 1, 2 * j + 2];
      let worst = j;
      if (l < heap.length && before(heap[l], heap[worst]) > 0) worst = l;
      if (r < heap.length && before(heap[r], heap[worst]) > 0) worst = r;
      if (worst === j) return;
      [heap[worst], heap[j]] = [heap[j], heap[worst]];
      j = worst;
    }
  };
  forEachBit(match, (i) => {
    if (heap.length < k) {
      heap.push(i);
      up(heap.length - 1);
    } else if (before(i, heap[0]) < 0) {
      heap[0] = i;
      down(0);
    }
    return true;
  });
  return heap.sort(before);
}

/** The matching records (NULL read as false, see the module comment). */
function evaluate(records: ColumnarRecords, cond: Cond): Bits {
  const n = records.size;
  switch (cond.kind) {
    case 'and':
    case 'or': {
      const [first, ...rest] = cond.items.map((c) => evaluate(records, c));
      for (const other of rest) {
        if (cond.kind === 'and') for (let w = 0; w < first.length; w++) first[w] &= other[w];
        else for (let w = 0; w < first.length; w++) first[w] |= other[w];
      }
      return first;
    }
    case 'not':
      return complement(evaluate(records, cond.item), n);
    case 'cmp':
      return cond.op === 'eq' || cond.op === 'ne' || cond.op === 'in'
        ? stringsMatch(records.strings.get(cond.attr.stringsColumn!)!, n, cond.op, cond.value as string | string[])
        : numberMatch(records.numbers.get(cond.attr.column!)!, n, cond.op, cond.value as number);
    case 'contains':
      throw new Error('containment is counted in PostgreSQL (covers() is false)');
  }
}

/** The records not in the set (in place), bits past the last record left 0. */
function complement(bits: Bits, n: number): Bits {
  for (let w = 0; w < bits.length; w++) bits[w] = ~bits[w];
  if (n % 32 !== 0) bits[bits.length - 1] &= (1 << n % 32) - 1;
  return bits;
}

function stringsMatch(col: StringsColumn, n: number, op: 'eq' | 'ne' | 'in', value: string | string[]): Bits {
  const bits: Bits = new Uint32Array((n + 31) >>> 5);
  const { starts, postings } = col;
  for (const v of op === 'in' ? (value as string[]) : [value as string]) {
    const code = col.dictionary.get(v);
    if (code === undefined) continue;
    for (let j = starts[code]; j < starts[code + 1]; j++) bits[postings[j] >>> 5] |= 1 << (postings[j] & 31);
  }
  return op === 'ne' ? complement(bits, n) : bits;
}

function numberMatch(col: NumberColumn, n: number, op: Exclude<Op, 'eq' | 'ne' | 'in'>, v: number): Bits {
  const bits: Bits = new Uint32Array((n + 31) >>> 5);
  // NaN (no number) compares false every way, as SQL's NULL bound and an empty multirange's overlap do.
  // `$gt` x > v is -x < -v: one strict and one non-strict loop serve the four (a comparison passed
  // in as a function was called through, 2.5x slower over a million records).
  const below = op === 'lt' || op === 'lte';
  const [values, sign] = below ? [col.lo, 1] : [col.hi, -1];
  const bound = sign * v;
  if (op === 'lt' || op === 'gt') {
    for (let w = 0; w < bits.length; w++) {
      let word = 0;
      for (let b = 0, i = 32 * w; b < 32 && i < n; b++, i++) if (sign * values[i] < bound) word |= 1 << b;
      bits[w] = word;
    }
  } else {
    for (let w = 0; w < bits.length; w++) {
      let word = 0;
      for (let b = 0, i = 32 * w; b < 32 && i < n; b++, i++) if (sign * values[i] <= bound) word |= 1 << b;
      bits[w] = word;
    }
  }
  return bits;
}
