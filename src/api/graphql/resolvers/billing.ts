import { z } from 'zod';
import { paginateInvoices, setPurchaseOrderNumber, toInvoice } from '../../../jobs/invoicing/service';
import { batchSize, parseInput } from '../inputs';
import type { Resolvers } from '../schema';

export const purchaseOrderNumberSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[\x20-\x7e]*$/, 'must contain only printable ASCII characters');

export const billingResolvers: Resolvers = {
  Query: {
    async getPaginatedInvoices(_root, { input }, { deps, principal }) {
      const c = parseInput(
        z.object({ batchSize, lastStartDate: z.date().nullish(), lastDocID: z.string().uuid('must be a lastDocID returned by a previous page').nullish() }),
        input,
      );
      const page = await paginateInvoices(deps.db, principal.org, { ...c, lastTimestamp: c.lastStartDate });
      return {
        invoicesDocs: page.rows.map((r) => toInvoice(r, deps.config.publicBaseUrl)),
        lastStartDate: page.lastTimestamp,
        lastDocID: page.lastDocID,
      };
    },
  },
  Mutation: {
    async uploadOrgPurchaseOrderNumber(_root, { input }, { deps, principal }) {
      const { purchaseOrderNumber } = parseInput(z.object({ purchaseOrderNumber: purchaseOrderNumberSchema }), input);
      await setPurchaseOrderNumber(deps.db, principal, purchaseOrderNumber);
      return { message: `Purchase order number "${purchaseOrderNumber}" will appear on the organisation's invoices from the next one on` };
    },
  },
};
