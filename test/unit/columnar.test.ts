import { ColumnarBuilder, ColumnarRecords, countColumnar, exactDouble, heldCount, pageColumnar, patchColumnar } from '../../src/domain/dci/columnar';
import type { Cond } from '../../src/domain/dci/query';
import { REGISTRIES } from '../../src/domain/dci/registries';

describe('in-memory filter columns (pure parts)', () => {
  it.each([
    ['3.50', true],
    ['0.1', true],
    ['-0', true],
    ['1000000000000000000000', true],
    ['0.000001', true],
    ['9007199254740993', false],
    ['0.10000000000000000001', false],
    ['1e400', false],
  ])('exactDouble(%s) is %s', (text, exact) => expect(exactDouble(text)).toBe(exact));

  const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const attr = (path: string) => REGISTRIES.fr.catalogue.get(path)!;
  const size = attr('family_details.group_size');
  const type = attr('family_details.group_type');

  it('reads each number column only if every value is exact, and counts over the bounds and strings', () => {
    const b = new ColumnarBuilder(3, ['num_fr_group_size', 'num_fr_poverty_score'], ['str_fr_group_type']);
    b.add([uuid(1), '2', '2', '0.10000000000000000001', '0.10000000000000000001', ['family']]);
    b.add([uuid(2), null, null, '3', '97', []]);
    b.add([uuid(3), '5', '7', null, null, ['household', 'family']]);
    const records = b.finish();
    expect([...records.numbers.keys()]).toEqual(['num_fr_group_size']);
    expect(countColumnar(records, { kind: 'cmp', attr: size, op: 'gt', value: 6 })).toBe(1); // 5..7: its largest
    expect(countColumnar(records, { kind: 'cmp', attr: size, op: 'lte', value: 5 })).toBe(2); // none: neither way
    expect(countColumnar(records, { kind: 'not', item: { kind: 'cmp', attr: size, op: 'lte', value: 5 } })).toBe(1);
    expect(countColumnar(records, { kind: 'cmp', attr: type, op: 'ne', value: 'household' })).toBe(2);
    expect(countColumnar(records, { kind: 'cmp', attr: type, op: 'in', value: ['x', 'family'] })).toBe(2);
    expect(countColumnar(records, { kind: 'cmp', attr: attr('family_details.poverty_score'), op: 'gt', value: 1 })).toBeUndefined();
  });

  it('pages in the sort order, missing numbers last either way, then by id', () => {
    const sizes = [4, null, 2, 4, null, 9, 1];
    const b = new ColumnarBuilder(sizes.length, ['num_fr_group_size'], ['str_fr_group_type']);
    sizes.forEach((v, i) => b.add([uuid(i), v === null ? null : String(v), v === null ? null : String(v), ['family']]));
    const records = b.finish();
    const all: Cond = { kind: 'cmp', attr: type, op: 'eq', value: 'family' };
    const order = (desc: boolean, offset = 0, limit = 10) => pageColumnar(records, all, [{ attr: size, order: desc ? 'desc' : 'asc' }], offset, limit)!.ids.map((id) => Number(id.slice(-2)));
    expect(order(false)).toEqual([6, 2, 0, 3, 5, 1, 4]);
    expect(order(true)).toEqual([5, 0, 3, 2, 6, 1, 4]);
    expect(order(true, 2, 3)).toEqual([3, 2, 6]);
    expect(order(false, 6, 3)).toEqual([4]);
    expect(pageColumnar(records, all, [], 5, 10)).toEqual({ total: 7, ids: [uuid(5), uuid(6)] });
    expect(pageColumnar(records, all, [], 9, 10)).toEqual({ total: 7, ids: [] });
    // A sort on a strings column is left to PostgreSQL (its collation orders the strings).
    expect(pageColumnar(records, all, [{ attr: type, order: 'asc' }], 0, 10)).toBeUndefined();
  });

  it('holds records read in any order in id order, each with its own values', () => {
    const b = new ColumnarBuilder(4, ['num_fr_group_size'], ['str_fr_group_type']);
    for (const n of [3, 1, 4, 2]) b.add([uuid(n), String(n), String(n), Array.from({ length: n }, (_, k) => `t${n}.${k}`)]);
    const records = b.finish();
    const all: Cond = { kind: 'cmp', attr: size, op: 'gte', value: 0 };
    expect(pageColumnar(records, all, [], 0, 10)!.ids).toEqual([1, 2, 3, 4].map(uuid));
    expect(records.numbers.get('num_fr_group_size')!.lo).toEqual(Float64Array.from([1, 2, 3, 4]));
    for (const n of [1, 2, 3, 4]) expect(countColumnar(records, { kind: 'cmp', attr: type, op: 'eq', value: `t${n}.${n - 1}` })).toBe(1);
    expect(pageColumnar(records, { kind: 'cmp', attr: type, op: 'in', value: ['t3.0', 't1.0'] }, [], 0, 10)!.ids).toEqual([uuid(1), uuid(3)]);
  });

  it('an empty registry: nothing matches, also a negation', () => {
    const records = new ColumnarBuilder(0, ['num_fr_group_size'], ['str_fr_group_type']).finish();
    expect(pageColumnar(records, { kind: 'not', item: { kind: 'cmp', attr: type, op: 'eq', value: 'family' } }, [{ attr: size, order: 'asc' }], 0, 10)).toEqual({ total: 0, ids: [] });
  });

  it('a negation leaves out the bits past the last record (33 records: one word and one bit)', () => {
    const b = new ColumnarBuilder(33, ['num_fr_group_size'], ['str_fr_group_type']);
    for (let i = 0; i < 33; i++) b.add([uuid(i), String(i), String(i), []]);
    const records = b.finish();
    expect(countColumnar(records, { kind: 'not', item: { kind: 'cmp', attr: type, op: 'eq', value: 'family' } })).toBe(33);
    expect(pageColumnar(records, { kind: 'cmp', attr: type, op: 'ne', value: 'x' }, [{ attr: size, order: 'desc' }], 30, 10)!.ids).toEqual([2, 1, 0].map(uuid));
  });

  it('refuses more or fewer records than it was sized for, an id that is no UUID, and one read twice', () => {
    const b = new ColumnarBuilder(2, [], []);
    b.add([uuid(2)]);
    expect(() => b.finish()).toThrow('1 records read, 2 counted');
    expect(() => b.add(['x'])).toThrow('record id "x" is not a UUID');
    b.add([uuid(2)]);
    expect(() => b.add([uuid(4)])).toThrow('more records than the 2 counted');
    expect(() => b.finish()).toThrow(`record id ${uuid(2)} read twice`);
  });

  describe('patched columns: records written since the read replaced, counted and paged as if read again', () => {
    type Row = [string, string | null, string | null, string[]];
    const build = (rows: Row[]): ColumnarRecords => {
      const b = new ColumnarBuilder(rows.length, ['num_fr_group_size'], ['str_fr_group_type']);
      for (const r of rows) b.add(r);
      return b.finish();
    };
    /** Seeded: a failing case is the same case on the next run. */
    let seed = 7;
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const pick = <T>(items: T[]): T => items[Math.floor(rnd() * items.length)];
    const row = (n: number): Row => {
      const v = rnd() < 0.2 ? null : String(Math.floor(rnd() * 10));
      return [uuid(n), v, v, rnd() < 0.3 ? [] : [pick(['family', 'household', 'group'])]];
    };
    const leaf = (): Cond =>
      rnd() < 0.5
        ? { kind: 'cmp', attr: size, op: pick(['lt', 'lte', 'gt', 'gte'] as const), value: Math.floor(rnd() * 10) }
        : { kind: 'cmp', attr: type, op: pick(['eq', 'ne'] as const), value: pick(['family', 'household', 'group']) };
    const tree = (depth: number): Cond => {
      const r = rnd();
      if (depth === 0 || r < 0.4) return leaf();
      if (r < 0.55) return { kind: 'not', item: tree(depth - 1) };
      return { kind: r < 0.8 ? 'and' : 'or', items: [tree(depth - 1), tree(depth - 1)] };
    };

    it('200 random searches over 3 rounds of inserts, updates and deletes give the pages of the records read afresh', () => {
      const rows = new Map<number, Row>();
      for (let n = 0; n < 300; n++) rows.set(n * 3, row(n * 3)); // ids with gaps, so inserts fall between
      const base = build([...rows.values()]);
      const written = new Set<number>();
      const mismatches = [];
      for (let round = 0; round < 3; round++) {
        for (let k = 0; k < 25; k++) {
          const n = Math.floor(rnd() * 1000);
          written.add(n);
          if (rows.has(n) && rnd() < 0.4) rows.delete(n);
          else rows.set(n, row(n));
        }
        const extra = build([...written].filter((n) => rows.has(n)).map((n) => rows.get(n)!));
        const patched = patchColumnar(base, [...written].map(uuid), extra);
        const afresh = build([...rows.values()]);
        expect(heldCount(patched)).toBe(rows.size);
        for (let i = 0; i < 200; i++) {
          const cond = tree(3);
          const sort = Array.from({ length: Math.floor(rnd() * 2) }, () => ({ attr: size, order: pick(['asc', 'desc'] as const) }));
          const [offset, limit] = [pick([0, 0, 3, 40, 290]), pick([1, 7, 30])];
          const [got, want] = [pageColumnar(patched, cond, sort, offset, limit), pageColumnar(afresh, cond, sort, offset, limit)];
          if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ round, cond, sort, offset, limit, got, want });
        }
      }
      expect(mismatches).toEqual([]);
    });

    it('a column held in one part only is left to PostgreSQL; a record in the patch that was not written is refused', () => {
      const base = build([[uuid(1), '1', '1', ['family']]]);
      const b = new ColumnarBuilder(1, ['num_fr_group_size'], ['str_fr_group_type']);
      b.add([uuid(2), '0.10000000000000000001', '0.10000000000000000001', ['family']]);
      const patched = patchColumnar(base, [uuid(2)], b.finish());
      expect(countColumnar(patched, { kind: 'cmp', attr: type, op: 'eq', value: 'family' })).toBe(2);
      expect(countColumnar(patched, { kind: 'cmp', attr: size, op: 'gt', value: 0 })).toBeUndefined();
      expect(() => patchColumnar(base, [], base)).toThrow(`record ${uuid(1)} is in the patch but not among the records written`);
    });
  });
});
