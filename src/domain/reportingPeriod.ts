/**
 * Calendar months as the seed names them ("June 2023") and as Steward keys them ("2023-06").
 * Months are UTC: a day of a report or an invoice is a UTC day.
 */
export interface Month {
  year: number;
  /** 1-12 */
  month: number;
}

const NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "June 2023" (any case) -> { year: 2023, month: 6 }; null when it is not a month and year. */
export function parseMonthName(text: string): Month | null {
  const m = /^\s*([A-Za-z]+)\s+(\d{4})\s*$/.exec(text);
  if (!m) return null;
  const index = NAMES.findIndex((n) => n.toLowerCase() === m[1].toLowerCase());
  return index < 0 ? null : { year: Number(m[2]), month: index + 1 };
}

/** "2023-06" -> { year: 2023, month: 6 }. */
export function parseMonthKey(text: string): Month | null {
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return null;
  return { year: Number(m[1]), month: Number(m[2]) };
}

export const monthName = (m: Month) => `${NAMES[m.month - 1]} ${m.year}`;
export const monthKey = (m: Month) => `${m.year}-${String(m.month).padStart(2, '0')}`;
export const monthStart = (m: Month) => new Date(Date.UTC(m.year, m.month - 1, 1));
/** Exclusive end: the first instant of the next month. */
export const monthEnd = (m: Month) => new Date(Date.UTC(m.year, m.month, 1));
export const daysInMonth = (m: Month) => new Date(Date.UTC(m.year, m.month, 0)).getUTCDate();
export const monthOf = (d: Date): Month => ({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 });
export const previousMonth = (m: Month): Month => (m.month === 1 ? { year: m.year - 1, month: 12 } : { year: m.year, month: m.month - 1 });
export const isAfter = (a: Month, b: Month) => a.year > b.year || (a.year === b.year && a.month > b.month);

/** An array of one number per day of the month from (day-of-month, count) pairs. */
export function dailyArray(m: Month, counts: { day: number; count: number }[]): number[] {
  const days = new Array<number>(daysInMonth(m)).fill(0);
  for (const c of counts) days[c.day - 1] += c.count;
  return days;
}
