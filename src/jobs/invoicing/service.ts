import type { Principal } from '../../auth/tokens';
import type { Db } from '../../db/knex';
import { keysetPage, KeysetCursor } from '../../db/pagination';
import { computeInvoice, invoiceNumber, InvoiceLines, MonthUsage, PassType } from '../../domain/invoicing';
import { Month, monthEnd, monthName, monthStart } from '../../domain/reportingPeriod';
import { recordAudit } from '../../services/audit';
import { DomainError } from '../../services/errors';

export interface InvoiceRow {
  id: string;
  organisation_id: string;
  invoice_number: string;
  billing_period: string;
  period_start: Date;
  period_end: Date;
  purchase_order_number: string | null;
  payment_currency: string;
  lines: InvoiceLines;
  amount: number;
  status: string;
  payments: number[];
  date_of_invoice: Date;
  due_date: Date;
  paid_at: Date | null;
  generated_by: string;
  last_modified: Date;
}

/** Passes distributed in the month by pass type, and the organisation's active users. */
export async function monthUsage(db: Db, organisationId: string, month: Month): Promise<MonthUsage> {
  const range = [monthStart(month), monthEnd(month)];
  const rows: { pass_type: string; count: number }[] = await db('passes as p')
    .join('pass_designs as d', 'd.id', 'p.pass_design_id')
    .where('p.organisation_id', organisationId)
    .where('p.created_at', '>=', range[0])
    .where('p.created_at', '<', range[1])
    .groupBy('d.pass_type')
    .select('d.pass_type', db.raw('count(*)::int as count'));
  const passes: Record<PassType, number> = { LongTerm: 0, ShortTerm: 0, XUse: 0 };
  for (const r of rows) passes[r.pass_type === 'ShortTerm' || r.pass_type === 'XUse' ? r.pass_type : 'LongTerm'] += r.count;
  return { passes, userCount: await activeUserCount(db, organisationId, month) };
}

/** Users of the organisation in a month: people (an email address) who acted, per the audit log; not the CLI or the system. */
export async function activeUserCount(db: Db, organisationId: string, month: Month): Promise<number> {
  const [{ users }] = await db('audit_events')
    .where('organisation_id', organisationId)
    .where('created_at', '>=', monthStart(month))
    .where('created_at', '<', monthEnd(month))
    .where('actor', 'like', '%@%')
    .select(db.raw('count(distinct actor)::int as users'));
  return users;
}

/** Organisations that distributed passes in the month, in ID order after `afterId`: one page. */
export async function organisationsWithUsage(db: Db, month: Month, afterId: string | null, limit: number): Promise<string[]> {
  const q = db('passes')
    .where('created_at', '>=', monthStart(month))
    .where('created_at', '<', monthEnd(month))
    .distinct('organisation_id')
    .orderBy('organisation_id')
    .limit(limit);
  if (afterId) q.where('organisation_id', '>', afterId);
  return (await q).map((r: { organisation_id: string }) => r.organisation_id);
}

/**
 * Generates the organisation's invoice for the month, once: a second call (a retried activity, a
 * re-run of the schedule) finds the existing invoice. The organisation row is locked so two runs
 * cannot both create one, and an invoice number is only drawn when an invoice is written.
 */
export async function generateInvoice(
  db: Db,
  organisationId: string,
  month: Month,
  generatedBy: string,
  now = new Date(),
): Promise<{ invoiceNumber: string; created: boolean; amount: number }> {
  return db.transaction(async (trx) => {
    const org = await trx('organisations').where({ id: organisationId }).forUpdate().first();
    if (!org) throw new DomainError('NOT_FOUND', `organisation ${organisationId} does not exist`);
    const existing = await trx('invoices').where({ organisation_id: organisationId, period_start: monthStart(month) }).first();
    if (existing) return { invoiceNumber: existing.invoice_number, created: false, amount: existing.amount };

    const usage = await monthUsage(trx as unknown as Db, organisationId, month);
    const { lines, amount } = computeInvoice(usage, { pricePerPass: org.price_per_pass, vatPercent: org.vat_percent });
    const { rows } = await trx.raw(`select nextval('invoice_number_seq')::int as n`);
    const number = invoiceNumber(rows[0].n);
    const due = new Date(now.getTime() + org.payment_terms_days * 86_400_000);
    await trx('invoices').insert({
      organisation_id: organisationId,
      invoice_number: number,
      billing_period: monthName(month),
      period_start: monthStart(month),
      period_end: monthEnd(month),
      purchase_order_number: org.purchase_order_number,
      payment_currency: org.payment_currency,
      lines: JSON.stringify(lines),
      amount,
      status: amount === 0 ? 'paid' : 'pending-payment',
      date_of_invoice: now,
      due_date: due,
      generated_by: generatedBy,
      last_modified: now,
    });
    await recordAudit(trx, {
      organisationId,
      actor: 'system',
      category: 'Billing',
      action: 'generate invoice',
      subject: number,
      details: { billingPeriod: monthName(month), amount, passes: usage.passes.LongTerm + usage.passes.ShortTerm + usage.passes.XUse },
    });
    return { invoiceNumber: number, created: true, amount };
  });
}

/** uploadOrgPurchaseOrderNumber: the PO number printed on the organisation's next invoices. */
export async function setPurchaseOrderNumber(db: Db, principal: Principal, purchaseOrderNumber: string): Promise<void> {
  await db.transaction(async (trx) => {
    const updated = await trx('organisations').where({ id: principal.org }).update({ purchase_order_number: purchaseOrderNumber, updated_at: trx.fn.now() });
    if (!updated) throw new DomainError('NOT_FOUND', `organisation ${principal.org} does not exist`);
    await recordAudit(trx, {
      organisationId: principal.org,
      actor: principal.email,
      category: 'Billing',
      action: 'upload purchase order number',
      details: { purchaseOrderNumber },
    });
  });
}

export function paginateInvoices(db: Db, organisationId: string, cursor: KeysetCursor) {
  return keysetPage<InvoiceRow>(db('invoices').where({ organisation_id: organisationId }), 'period_start', cursor);
}

export async function getInvoice(db: Db, organisationId: string, number: string): Promise<InvoiceRow> {
  const row = await db('invoices').where({ organisation_id: organisationId, invoice_number: number }).first();
  if (!row) throw new DomainError('NOT_FOUND', `invoice ${number} not found`, 'params.invoiceNumber');
  return row;
}

export const invoiceUrl = (baseUrl: string, row: InvoiceRow) => `${baseUrl}/invoices/${row.invoice_number}`;

/** Seed 003's Invoice. */
export function toInvoice(row: InvoiceRow, baseUrl: string) {
  return {
    ...row.lines,
    amount: row.amount,
    billingPeriod: row.billing_period,
    dateOfInvoice: row.date_of_invoice,
    dueDate: row.due_date,
    // The seed describes paymentDate as "the timestamp that the invoice should be paid by".
    paymentDate: row.due_date,
    invoiceNumber: row.invoice_number,
    invoiceURL: invoiceUrl(baseUrl, row),
    lastModified: row.last_modified,
    // Steward sends no late-payment or shut-off reminders (no reminder task exists).
    latePaymentTaskName: '',
    shutOffReminderTaskName: '',
    paymentCurrency: row.payment_currency,
    paymentTerms: Math.round((row.due_date.getTime() - row.date_of_invoice.getTime()) / 86_400_000),
    payments: row.payments,
    startOfInvoice: row.period_start,
    status: row.status,
  };
}
