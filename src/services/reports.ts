import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import type { PassType } from '../domain/invoicing';
import { dailyArray, Month, monthEnd, monthName, monthStart } from '../domain/reportingPeriod';
import { DomainError } from './errors';
import { activeUserCount } from '../jobs/invoicing/service';
import { getPassDesignByTitle } from './passDesigns';

/**
 * Seed 003's monthly reports, computed from the passes themselves (never stored counters, so they
 * cannot drift): a pass counts as distributed on the UTC day it was created, invalidated on the day
 * it expired (is_expired, at expired_timestamp), redeemed on the day a wallet redeemed it.
 */
type PassQuery = () => Knex.QueryBuilder;

const EVENTS = {
  distribution: { column: 'p.created_at', where: (q: Knex.QueryBuilder) => q },
  invalidation: { column: 'p.expired_timestamp', where: (q: Knex.QueryBuilder) => q.where('p.is_expired', true) },
  redemption: { column: 'p.redeemed_timestamp', where: (q: Knex.QueryBuilder) => q.where('p.is_redeemed', true) },
} as const;
type EventKind = keyof typeof EVENTS;

function inMonth(q: Knex.QueryBuilder, kind: EventKind, month: Month): Knex.QueryBuilder {
  const e = EVENTS[kind];
  return e.where(q).where(e.column, '>=', monthStart(month)).where(e.column, '<', monthEnd(month));
}

/** One count per day of the month of `kind` events among the passes `base` selects, split by `groupBy` when given. */
async function daily(db: Db, base: PassQuery, kind: EventKind, month: Month, groupBy?: string): Promise<Map<string, number[]>> {
  const day = db.raw(`extract(day from ${EVENTS[kind].column} at time zone 'UTC')::int as day`);
  const q = inMonth(base(), kind, month).select(day, db.raw('count(*)::int as count')).groupByRaw('1');
  if (groupBy) q.select(db.raw(`${groupBy} as grp`)).groupByRaw('3');
  const rows: { day: number; count: number; grp?: string }[] = await q;
  const byGroup = new Map<string, { day: number; count: number }[]>();
  for (const r of rows) byGroup.set(r.grp ?? '', [...(byGroup.get(r.grp ?? '') ?? []), r]);
  return new Map([...byGroup].map(([g, counts]) => [g, dailyArray(month, counts)]));
}

async function redemptionsByOS(db: Db, base: PassQuery, month: Month): Promise<{ Apple: number; Google: number }> {
  const rows: { device_os: string; count: number }[] = await inMonth(base(), 'redemption', month)
    .groupBy('p.device_os')
    .select('p.device_os', db.raw('count(*)::int as count'));
  const find = (os: string) => rows.find((r) => r.device_os === os)?.count ?? 0;
  return { Apple: find('Apple'), Google: find('Google') };
}

/** When the report last changed: its latest counted event, or the start of the month if none. */
async function lastChange(db: Db, base: PassQuery, month: Month): Promise<Date> {
  const latest = await Promise.all(
    (Object.keys(EVENTS) as EventKind[]).map(async (kind) => {
      const [r] = await inMonth(base(), kind, month).select(db.raw(`max(${EVENTS[kind].column}) as at`));
      return r?.at as Date | null;
    }),
  );
  const times = latest.filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
  return new Date(times.length ? Math.max(...times) : monthStart(month).getTime());
}

const zeros = (month: Month) => dailyArray(month, []);

/** getPassDesignMonthlyReport: one PassDesignReport for the design and month. */
export async function passDesignMonthlyReport(db: Db, organisationId: string, title: string, month: Month) {
  const design = await getPassDesignByTitle(db, organisationId, title).catch((err) => {
    if (err instanceof DomainError && err.code === 'NOT_FOUND') throw new DomainError('NOT_FOUND', `no pass design titled "${title}"`, 'input.passDesignTitle');
    throw err;
  });
  const base: PassQuery = () => db('passes as p').where({ 'p.organisation_id': organisationId, 'p.pass_design_id': design.id });
  const [distributions, invalidations, redemptions, lastModified] = await Promise.all([
    daily(db, base, 'distribution', month),
    daily(db, base, 'invalidation', month),
    redemptionsByOS(db, base, month),
    lastChange(db, base, month),
  ]);
  return [
    {
      appleCount: redemptions.Apple,
      googleCount: redemptions.Google,
      distributionCount: distributions.get('') ?? zeros(month),
      invalidationCount: invalidations.get('') ?? zeros(month),
      lastModified,
      reportingPeriod: monthName(month),
    },
  ];
}

/** getUsageReporting: one UsageReport for the organisation and month, daily counts by pass type. */
export async function usageReport(db: Db, organisationId: string, month: Month) {
  const base: PassQuery = () => db('passes as p').join('pass_designs as d', 'd.id', 'p.pass_design_id').where('p.organisation_id', organisationId);
  // Pass types other than ShortTerm and XUse are long-term passes (the design default).
  const passType = `case when d.pass_type in ('ShortTerm', 'XUse') then d.pass_type else 'LongTerm' end`;
  const [distributions, invalidations, redemptions, userCount, lastModified] = await Promise.all([
    daily(db, base, 'distribution', month, passType),
    daily(db, base, 'invalidation', month, passType),
    redemptionsByOS(db, base, month),
    activeUserCount(db, organisationId, month),
    lastChange(db, base, month),
  ]);
  const of = (m: Map<string, number[]>, t: PassType) => m.get(t) ?? zeros(month);
  return [
    {
      lastModified,
      reportingPeriod: monthName(month),
      longTermPassesCount: of(distributions, 'LongTerm'),
      shortTermPassesCount: of(distributions, 'ShortTerm'),
      xUsePassesCount: of(distributions, 'XUse'),
      longTermInvalidationCount: of(invalidations, 'LongTerm'),
      shortTermInvalidationCount: of(invalidations, 'ShortTerm'),
      xUseInvalidationCount: of(invalidations, 'XUse'),
      // Steward has no yearly recurring passes, so none renew.
      recurringPassesCount: 0,
      userCount,
      appleRedemptions: redemptions.Apple,
      googleRedemptions: redemptions.Google,
    },
  ];
}
