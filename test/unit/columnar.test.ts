import { ColumnarBuilder, countColumnar, exactDouble } from '../../src/domain/dci/columnar';
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

  it('reads each number column only if every value is exact, and counts over the bounds and strings', () => {
    const b = new ColumnarBuilder(3, ['num_fr_group_size', 'num_fr_poverty_score'], ['str_fr_group_type']);
    b.add({ num_fr_group_size: { lo: '2', hi: '2' }, num_fr_poverty_score: { lo: '0.10000000000000000001', hi: '0.10000000000000000001' } }, { str_fr_group_type: ['family'] });
    b.add({ num_fr_group_size: { lo: null, hi: null }, num_fr_poverty_score: { lo: '3', hi: '97' } }, { str_fr_group_type: [] });
    b.add({ num_fr_group_size: { lo: '5', hi: '7' }, num_fr_poverty_score: { lo: null, hi: null } }, { str_fr_group_type: ['household', 'family'] });
    const records = b.finish();
    expect([...records.numbers.keys()]).toEqual(['num_fr_group_size']);
    const attr = (path: string) => REGISTRIES.fr.catalogue.get(path)!;
    const size = attr('family_details.group_size');
    const type = attr('family_details.group_type');
    expect(countColumnar(records, { kind: 'cmp', attr: size, op: 'gt', value: 6 })).toBe(1); // 5..7: its largest
    expect(countColumnar(records, { kind: 'cmp', attr: size, op: 'lte', value: 5 })).toBe(2); // none: neither way
    expect(countColumnar(records, { kind: 'not', item: { kind: 'cmp', attr: size, op: 'lte', value: 5 } })).toBe(1);
    expect(countColumnar(records, { kind: 'cmp', attr: type, op: 'ne', value: 'household' })).toBe(2);
    expect(countColumnar(records, { kind: 'cmp', attr: type, op: 'in', value: ['x', 'family'] })).toBe(2);
    expect(countColumnar(records, { kind: 'cmp', attr: attr('family_details.poverty_score'), op: 'gt', value: 1 })).toBeUndefined();
  });

  it('refuses more or fewer records than it was sized for', () => {
    const b = new ColumnarBuilder(1, [], []);
    expect(() => b.finish()).toThrow('0 records read, 1 counted');
    b.add({}, {});
    expect(() => b.add({}, {})).toThrow('more records than the 1 counted');
  });
});
