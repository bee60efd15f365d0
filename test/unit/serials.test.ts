import { allocateCardNumbers, formatSerialNumber, SerialSequenceExhaustedError } from '../../src/domain/serials';

describe('allocateCardNumbers', () => {
  it('continues after the latest number', () => {
    expect(allocateCardNumbers(10, 3, [], 99)).toEqual({ numbers: [11, 12, 13], latest: 13 });
  });

  it('skips reserved ranges, including one that starts right at the next number', () => {
    const r = allocateCardNumbers(0, 6, [{ start: 3, end: 5 }, { start: 1, end: 1 }], 99);
    expect(r.numbers).toEqual([2, 6, 7, 8, 9, 10]);
    expect(r.latest).toBe(10);
  });

  it('refuses to go past the maximum and allocates nothing', () => {
    expect(() => allocateCardNumbers(97, 3, [], 99)).toThrow(SerialSequenceExhaustedError);
    expect(() => allocateCardNumbers(90, 5, [{ start: 92, end: 98 }], 99)).toThrow(/only 2 left/);
  });

  it('allocates a large block without duplicates', () => {
    const { numbers } = allocateCardNumbers(0, 100_000, [{ start: 500, end: 1500 }], 10 ** 8);
    expect(new Set(numbers).size).toBe(100_000);
    expect(numbers.some((n) => n >= 500 && n <= 1500)).toBe(false);
  });
});

describe('formatSerialNumber', () => {
  it('zero-pads the card number after the prefix', () => {
    expect(formatSerialNumber('1101', 1, 8)).toBe('110100000001');
  });
});
