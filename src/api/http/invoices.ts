import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps';
import { getInvoice, toInvoice } from '../../jobs/invoicing/service';
import { errorBodySchema, registerRoute } from '../openapi';
import { requirePermission, requireUser } from './auth';
import { sendError } from './errors';

const params = z.object({
  invoiceNumber: z.string().regex(/^STW\d{8}$/, 'must be an invoice number such as STW00000001').describe('the invoiceNumber of a seed 003 Invoice'),
});

const money = z.number().int();
const invoiceDocument = z.object({
  invoiceNumber: z.string(),
  organisationId: z.string(),
  organisationName: z.string(),
  purchaseOrderNumber: z.string().nullable(),
  billingPeriod: z.string(),
  startOfInvoice: z.string(),
  dateOfInvoice: z.string(),
  dueDate: z.string(),
  status: z.string(),
  paymentCurrency: z.string(),
  lines: z.array(z.object({ description: z.string(), quantity: z.number().int(), unitPrice: money, amount: money })),
  netAmount: money,
  vatAmount: money,
  amount: money,
});

registerRoute({
  method: 'get',
  path: '/invoices/:invoiceNumber',
  summary: 'An invoice document (the invoiceURL of a seed 003 Invoice)',
  description: 'The organisation\'s own invoices only, with its purchase order number and charge lines; amounts in the currency\'s minor unit.',
  tags: ['Billing'],
  auth: 'bearer',
  schemas: {
    params,
    responses: {
      200: { description: 'the invoice', schema: invoiceDocument },
      400: { description: 'not an invoice number', schema: errorBodySchema },
      401: { description: 'missing or invalid token' },
      404: { description: 'no such invoice for the caller\'s organisation', schema: errorBodySchema },
    },
  },
});

/** GET /invoices/:invoiceNumber: what an Invoice's invoiceURL points to. */
export function invoicesRouter(deps: Deps): Router {
  const router = Router();
  router.get('/invoices/:invoiceNumber', requireUser(deps), requirePermission('GET /invoices/:invoiceNumber'), async (req, res) => {
    try {
      const { invoiceNumber } = params.parse(req.params);
      const row = await getInvoice(deps.db, req.principal!.org, invoiceNumber);
      const org = await deps.db('organisations').where({ id: row.organisation_id }).first('name');
      const inv = toInvoice(row, deps.config.publicBaseUrl);
      const line = (description: string, quantity: number, unitPrice: number, amount: number) => ({ description, quantity, unitPrice, amount });
      const lines = [
        line('Long-term passes distributed', inv.longTermCount, inv.longTermPrice, inv.longTermCharge),
        line('Short-term passes distributed', inv.shortTermCount, inv.shortTermPrice, inv.shortTermCharge),
        line('X-use passes distributed', inv.xUseCount, inv.xUsePrice, inv.xUseCharge),
      ].filter((l) => l.quantity > 0);
      const body: z.infer<typeof invoiceDocument> = {
        invoiceNumber: inv.invoiceNumber,
        organisationId: row.organisation_id,
        organisationName: org.name,
        purchaseOrderNumber: row.purchase_order_number,
        billingPeriod: inv.billingPeriod,
        startOfInvoice: row.period_start.toISOString(),
        dateOfInvoice: row.date_of_invoice.toISOString(),
        dueDate: row.due_date.toISOString(),
        status: row.status,
        paymentCurrency: row.payment_currency,
        lines,
        netAmount: row.amount - inv.vatAmount,
        vatAmount: inv.vatAmount,
        amount: row.amount,
      };
      res.json(body);
    } catch (err) {
      sendError(res, err, 'params');
    }
  });
  return router;
}
