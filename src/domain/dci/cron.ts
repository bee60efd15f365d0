/**
 * Subscription `frequency`: Quartz-style cron, evaluated in UTC. Pure and deterministic, so the
 * subscription workflow computes its next firing itself.
 *
 *   Quartz (6 or 7 fields): second minute hour day-of-month month day-of-week [year]
 *     day-of-week 1-7 = SUN-SAT; one of day-of-month / day-of-week is "?" (or both "*").
 *   Unix (5 fields):        minute hour day-of-month month day-of-week   (second 0; day-of-week 0-7, 0 and 7 = SUN;
 *     when both day fields are restricted, either matches, as in cron(8)).
 *
 * Each field: "*", "?", a value, a range "a-b", a step "* /n", "a/n" or "a-b/n", or a comma list of
 * these; month and day names (JAN, MON) work. Quartz's L, W and # are not supported.
 */
export class CronError extends Error {}

export interface Cron {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number> | null; // null: any ("?" or "*")
  months: Set<number>; // 1-12
  daysOfWeek: Set<number> | null; // 0-6, 0 = Sunday; null: any
  years: Set<number> | null;
  /** Unix cron: a day matches when either restricted day field matches. */
  dayOr: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesStart?: number;
}

function parseField(text: string, spec: FieldSpec): Set<number> | null {
  if (text === '?' || text === '*') return null;
  const out = new Set<number>();
  const value = (s: string): number => {
    const upper = s.toUpperCase();
    const byName = spec.names?.indexOf(upper) ?? -1;
    const n = byName >= 0 ? byName + (spec.namesStart ?? 0) : /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isInteger(n) || n < spec.min || n > spec.max) {
      throw new CronError(`${spec.name}: "${s}" is not a value from ${spec.min} to ${spec.max}`);
    }
    return n;
  };
  for (const part of text.split(',')) {
    const bare = (spec.names ?? []).reduce((s, n) => s.split(n).join(''), part.toUpperCase());
    if (part === '' || !/^[\d*?/-]*$/.test(bare)) {
      throw new CronError(`${spec.name}: "${part}" is not supported (L, W and # are not; use values, ranges, steps and lists)`);
    }
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronError(`${spec.name}: step "${stepText}" must be a positive integer`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      from = value(a);
      to = value(b);
      if (to < from) throw new CronError(`${spec.name}: range "${range}" runs backwards`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : spec.max;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

export function parseCron(expression: string): Cron {
  if (typeof expression !== 'string') throw new CronError('must be a cron expression string');
  const fields = expression.trim().split(/\s+/);
  if (fields.length === 5) {
    const [min, hour, dom, month, dow] = fields;
    const daysOfWeek = parseField(dow, { name: 'day-of-week', min: 0, max: 7, names: DAYS });
    return {
      seconds: new Set([0]),
      minutes: parseField(min, { name: 'minute', min: 0, max: 59 }) ?? range(0, 59),
      hours: parseField(hour, { name: 'hour', min: 0, max: 23 }) ?? range(0, 23),
      daysOfMonth: parseField(dom, { name: 'day-of-month', min: 1, max: 31 }),
      months: parseField(month, { name: 'month', min: 1, max: 12, names: MONTHS, namesStart: 1 }) ?? range(1, 12),
      daysOfWeek: daysOfWeek && new Set([...daysOfWeek].map((d) => d % 7)),
      years: null,
      dayOr: true,
    };
  }
  if (fields.length !== 6 && fields.length !== 7) {
    throw new CronError(`must have 6 or 7 fields (Quartz: second minute hour day-of-month month day-of-week [year]) or 5 (Unix); got ${fields.length}`);
  }
  const [sec, min, hour, dom, month, dow, year] = fields;
  const daysOfWeek = parseField(dow, { name: 'day-of-week', min: 1, max: 7, names: DAYS, namesStart: 1 });
  const daysOfMonth = parseField(dom, { name: 'day-of-month', min: 1, max: 31 });
  if (daysOfMonth && daysOfWeek) throw new CronError('day-of-month and day-of-week cannot both be set; put "?" in one of them');
  return {
    seconds: parseField(sec, { name: 'second', min: 0, max: 59 }) ?? range(0, 59),
    minutes: parseField(min, { name: 'minute', min: 0, max: 59 }) ?? range(0, 59),
    hours: parseField(hour, { name: 'hour', min: 0, max: 23 }) ?? range(0, 23),
    daysOfMonth,
    months: parseField(month, { name: 'month', min: 1, max: 12, names: MONTHS, namesStart: 1 }) ?? range(1, 12),
    daysOfWeek: daysOfWeek && new Set([...daysOfWeek].map((d) => d - 1)),
    years: year === undefined ? null : parseField(year, { name: 'year', min: 1970, max: 2199 }),
    dayOr: false,
  };
}

function range(from: number, to: number): Set<number> {
  const s = new Set<number>();
  for (let n = from; n <= to; n++) s.add(n);
  return s;
}

function dayMatches(c: Cron, d: Date): boolean {
  const dom = c.daysOfMonth ? c.daysOfMonth.has(d.getUTCDate()) : true;
  const dow = c.daysOfWeek ? c.daysOfWeek.has(d.getUTCDay()) : true;
  if (c.dayOr && c.daysOfMonth && c.daysOfWeek) return dom || dow;
  return dom && dow;
}

/** The first firing strictly after `afterMs` (epoch ms), or null when none comes before `untilMs`. */
export function nextFiring(c: Cron, afterMs: number, untilMs = afterMs + 10 * 366 * 24 * 3600 * 1000): number | null {
  const d = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  while (d.getTime() <= untilMs) {
    if (c.years && !c.years.has(d.getUTCFullYear())) {
      d.setUTCFullYear(d.getUTCFullYear() + 1, 0, 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!c.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(c, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!c.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
    } else if (!c.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
    } else if (!c.seconds.has(d.getUTCSeconds())) {
      d.setUTCSeconds(d.getUTCSeconds() + 1, 0);
    } else {
      return d.getTime();
    }
  }
  return null;
}

const HOUR_MS = 3600 * 1000;

/**
 * The latest firing in (afterMs, nowMs], or null when none was missed. A subscription that falls
 * behind (its worker busy or down) fires once, at once, for the latest firing it missed: the
 * events of the missed ones are batched into it (Quartz's "fire once now" misfire policy). Searched
 * over widening windows back from now, so a long outage of a per-second cron costs no more than an
 * hour of its firings.
 */
export function latestMissedFiring(c: Cron, afterMs: number, nowMs: number): number | null {
  for (const span of [HOUR_MS, 24 * HOUR_MS, 32 * 24 * HOUR_MS, 367 * 24 * HOUR_MS, Infinity]) {
    let latest: number | null = null;
    for (let at = Math.max(afterMs, nowMs - span), n = nextFiring(c, at, nowMs); n !== null; n = nextFiring(c, n, nowMs)) latest = n;
    if (latest !== null || nowMs - span <= afterMs) return latest;
  }
  return null;
}
