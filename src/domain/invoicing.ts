/**
 * What an organisation owes for a month, as seed 003's Invoice breaks it down. Steward charges per
 * pass distributed, at the organisation's price_per_pass (in the currency's minor unit: pence,
 * cents), whatever the pass type; it charges nothing for users, the platform, support or the API,
 * and has no yearly recurring passes, so those lines are truthfully zero.
 */
export const PASS_TYPES = ['LongTerm', 'ShortTerm', 'XUse'] as const;
export type PassType = (typeof PASS_TYPES)[number];

/** Payment policy written on every invoice (days). */
export const PAYMENT_POLICY = { paymentGracePeriod: 14, paymentReminderPeriod: 7, shutoffPeriod: 30 } as const;

export interface MonthUsage {
  /** Passes distributed in the month, by their design's pass type. */
  passes: Record<PassType, number>;
  /** Distinct users of the organisation who did something in the month (audit log). */
  userCount: number;
}

export interface BillingSettings {
  pricePerPass: number;
  vatPercent: number;
}

export interface InvoiceLines {
  longTermCount: number; longTermPrice: number; longTermCharge: number;
  shortTermCount: number; shortTermPrice: number; shortTermCharge: number;
  xUseCount: number; xUsePrice: number; xUseCharge: number;
  recurringPassCount: number; recurringPassPrice: number; recurringPassCharge: number;
  userCount: number; userPrice: number; userCharge: number;
  platformCharge: number; supportCharge: number; supportPackage: string; apiCharge: number;
  vatAmount: number;
  paymentGracePeriod: number; paymentReminderPeriod: number; shutoffPeriod: number;
}

export function computeInvoice(usage: MonthUsage, billing: BillingSettings): { lines: InvoiceLines; amount: number } {
  const price = billing.pricePerPass;
  const lines: InvoiceLines = {
    longTermCount: usage.passes.LongTerm, longTermPrice: price, longTermCharge: usage.passes.LongTerm * price,
    shortTermCount: usage.passes.ShortTerm, shortTermPrice: price, shortTermCharge: usage.passes.ShortTerm * price,
    xUseCount: usage.passes.XUse, xUsePrice: price, xUseCharge: usage.passes.XUse * price,
    recurringPassCount: 0, recurringPassPrice: 0, recurringPassCharge: 0,
    userCount: usage.userCount, userPrice: 0, userCharge: 0,
    // Bronze: the standard, free support tier.
    platformCharge: 0, supportCharge: 0, supportPackage: 'Bronze', apiCharge: 0,
    vatAmount: 0,
    ...PAYMENT_POLICY,
  };
  const net = lines.longTermCharge + lines.shortTermCharge + lines.xUseCharge + lines.recurringPassCharge + lines.userCharge + lines.platformCharge + lines.supportCharge + lines.apiCharge;
  lines.vatAmount = Math.round((net * billing.vatPercent) / 100);
  return { lines, amount: net + lines.vatAmount };
}

/** Invoice numbers: "STW" + 8 digits from a database sequence, never reused. */
export const invoiceNumber = (n: number) => `STW${String(n).padStart(8, '0')}`;
