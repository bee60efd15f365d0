import { CronError, latestMissedFiring, nextFiring, parseCron } from '../../src/domain/dci/cron';

const t = (iso: string) => Date.parse(iso);
const next = (expr: string, after: string, until?: string) => {
  const r = nextFiring(parseCron(expr), t(after), until ? t(until) : undefined);
  return r === null ? null : new Date(r).toISOString();
};

describe('Quartz cron (subscription frequency)', () => {
  it('evaluates the standard\'s example "0 0 0 5,15 * ? *": midnight on the 5th and 15th', () => {
    expect(next('0 0 0 5,15 * ? *', '2025-01-05T00:00:00Z')).toBe('2025-01-15T00:00:00.000Z');
    expect(next('0 0 0 5,15 * ? *', '2025-01-15T00:00:01Z')).toBe('2025-02-05T00:00:00.000Z');
    expect(next('0 0 0 5,15 * ? *', '2025-12-20T10:00:00Z')).toBe('2026-01-05T00:00:00.000Z');
  });

  it('finds the latest firing a late subscription missed (one, however many it missed), or none', () => {
    const missed = (expr: string, after: string, now: string) => {
      const r = latestMissedFiring(parseCron(expr), t(after), t(now));
      return r === null ? null : new Date(r).toISOString();
    };
    // On time: the next firing is still ahead.
    expect(missed('0 * * * * ?', '2025-03-01T10:15:00Z', '2025-03-01T10:15:40Z')).toBeNull();
    // Late by one firing, by several, and after a 10-day outage of a per-second cron.
    expect(missed('0 * * * * ?', '2025-03-01T10:15:00Z', '2025-03-01T10:16:20Z')).toBe('2025-03-01T10:16:00.000Z');
    expect(missed('0 * * * * ?', '2025-03-01T10:15:00Z', '2025-03-01T10:19:59Z')).toBe('2025-03-01T10:19:00.000Z');
    expect(missed('* * * * * ?', '2025-03-01T10:15:00Z', '2025-03-11T08:00:00.500Z')).toBe('2025-03-11T08:00:00.000Z');
    // A firing exactly at "now" is due; a rare cron is found across the widening windows.
    expect(missed('0 0 0 5,15 * ? *', '2025-01-05T00:00:00Z', '2025-01-15T00:00:00Z')).toBe('2025-01-15T00:00:00.000Z');
    expect(missed('0 0 0 1 1 ? *', '2023-01-01T00:00:00Z', '2025-06-01T00:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(missed('0 0 0 1 1 ? *', '2025-01-01T00:00:00Z', '2025-06-01T00:00:00Z')).toBeNull();
  });

  it('fires every minute at second 0, strictly after the given time', () => {
    expect(next('0 * * * * ?', '2025-03-01T10:15:00Z')).toBe('2025-03-01T10:16:00.000Z');
    expect(next('0 * * * * ?', '2025-03-01T10:15:59.900Z')).toBe('2025-03-01T10:16:00.000Z');
  });

  it('supports steps, ranges, names and Quartz day-of-week numbering (1 = SUN)', () => {
    expect(next('*/15 * * * * ?', '2025-03-01T10:15:07Z')).toBe('2025-03-01T10:15:15.000Z');
    expect(next('0 30 9 ? * MON-FRI', '2025-03-01T00:00:00Z')).toBe('2025-03-03T09:30:00.000Z'); // Sat -> Mon
    expect(next('0 0 12 ? * 1', '2025-03-01T00:00:00Z')).toBe('2025-03-02T12:00:00.000Z'); // Sunday
    expect(next('0 0 0 1 JAN,JUL ?', '2025-02-01T00:00:00Z')).toBe('2025-07-01T00:00:00.000Z');
    expect(next('0 0 6 * * ? 2027', '2025-02-01T00:00:00Z')).toBe('2027-01-01T06:00:00.000Z');
    expect(next('0 0 0 29 2 ?', '2025-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z'); // leap day
  });

  it('accepts 5-field Unix cron (second 0, day-of-week 0 = SUN, day fields ORed)', () => {
    expect(next('0 2 * * *', '2025-03-01T03:00:00Z')).toBe('2025-03-02T02:00:00.000Z');
    expect(next('0 0 13 * 5', '2025-06-01T00:00:00Z')).toBe('2025-06-06T00:00:00.000Z'); // Friday before the 13th
  });

  it('returns null when nothing fires before the limit', () => {
    expect(next('0 0 0 1 1 ?', '2025-01-02T00:00:00Z', '2025-06-01T00:00:00Z')).toBeNull();
    expect(next('0 0 0 31 2 ?', '2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toBeNull();
  });

  it.each([
    ['0 0 0 *', /6 or 7 fields/],
    ['0 0 0 5 * MON', /cannot both be set/],
    ['0 0 0 L * ?', /not supported/],
    ['0 0 0 ? * 2#1', /not supported/],
    ['60 * * * * ?', /second: "60"/],
    ['0 0 25 * * ?', /hour/],
    ['0 */0 * * * ?', /step/],
    ['0 0 0 10-5 * ?', /backwards/],
    ['0 0 0 * FOO ?', /month/],
  ])('rejects %s', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(CronError);
    expect(() => parseCron(expr)).toThrow(message);
  });
});
