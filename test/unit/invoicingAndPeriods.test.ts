import { computeInvoice, invoiceNumber } from '../../src/domain/invoicing';
import { dailyArray, daysInMonth, monthEnd, monthKey, monthName, monthStart, parseMonthKey, parseMonthName, previousMonth } from '../../src/domain/reportingPeriod';

describe('reporting periods', () => {
  it('reads the seed\'s "Month Year" and Steward\'s YYYY-MM', () => {
    expect(parseMonthName('June 2023')).toEqual({ year: 2023, month: 6 });
    expect(parseMonthName(' october 2022 ')).toEqual({ year: 2022, month: 10 });
    for (const bad of ['Jun 2023', '2023-06', 'June', 'Smarch 2023', 'June 23']) expect(parseMonthName(bad)).toBeNull();
    expect(parseMonthKey('2026-02')).toEqual({ year: 2026, month: 2 });
    expect(parseMonthKey('2026-13')).toBeNull();
    expect(monthName({ year: 2026, month: 2 })).toBe('February 2026');
    expect(monthKey({ year: 2026, month: 2 })).toBe('2026-02');
  });
  it('knows month bounds, lengths (leap years) and the month before', () => {
    expect(monthStart({ year: 2024, month: 12 }).toISOString()).toBe('2024-12-01T00:00:00.000Z');
    expect(monthEnd({ year: 2024, month: 12 }).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect([daysInMonth({ year: 2024, month: 2 }), daysInMonth({ year: 2023, month: 2 }), daysInMonth({ year: 2023, month: 6 })]).toEqual([29, 28, 30]);
    expect(previousMonth({ year: 2026, month: 1 })).toEqual({ year: 2025, month: 12 });
  });
  it('builds one count per day', () => {
    const days = dailyArray({ year: 2023, month: 6 }, [{ day: 3, count: 2 }, { day: 30, count: 1 }, { day: 3, count: 1 }]);
    expect(days).toHaveLength(30);
    expect(days[2]).toBe(3);
    expect(days[29]).toBe(1);
    expect(days.reduce((a, b) => a + b)).toBe(4);
  });
});

describe('invoice computation', () => {
  it('charges every distributed pass at the organisation\'s price, adds VAT, charges nothing else', () => {
    const { lines, amount } = computeInvoice({ passes: { LongTerm: 3000, ShortTerm: 10, XUse: 1 }, userCount: 2 }, { pricePerPass: 10, vatPercent: 20 });
    expect(lines).toMatchObject({
      longTermCount: 3000, longTermPrice: 10, longTermCharge: 30000, shortTermCharge: 100, xUseCharge: 10,
      userCount: 2, userCharge: 0, platformCharge: 0, supportPackage: 'Bronze', vatAmount: 6022,
    });
    expect(amount).toBe(30110 + 6022);
  });
  it('rounds VAT to the minor unit', () => {
    expect(computeInvoice({ passes: { LongTerm: 1, ShortTerm: 0, XUse: 0 }, userCount: 0 }, { pricePerPass: 7, vatPercent: 20 }).lines.vatAmount).toBe(1);
  });
  it('numbers invoices STW + 8 digits', () => {
    expect(invoiceNumber(42)).toBe('STW00000042');
  });
});
