import type { Knex } from 'knex';
import type { PassDetails, RowResult } from '../domain/passDetails';
import type { CreatedPass } from '../services/passes';
import { dispatchKeys } from './keys';
import { enqueueNotifications } from './outbox';
import { BUILT_IN_TEMPLATES, DEFAULT_TEMPLATE } from './templates';

/**
 * Delivery of distributed passes (seed 003's deliveryMethod / deliveryAddress / deliveryTemplate):
 * the template is checked when the pass is requested, and an outbox row per pass to deliver is
 * written with the pass, rendered and sent by the delivery stage.
 */

/** The template a pass is delivered with: the requested one, or the method's built-in default. */
export function templateTitle(d: Pick<PassDetails, 'deliveryMethod' | 'deliveryTemplate'>): string {
  return d.deliveryTemplate || DEFAULT_TEMPLATE[d.deliveryMethod as 'Email' | 'SMS'];
}

/**
 * A check of rows against the organisation's templates (loaded once): an unknown template, or one
 * of the wrong type for the delivery method, fails the row with the reason.
 */
export async function deliveryTemplateCheck(db: Knex | Knex.Transaction, organisationId: string): Promise<(r: RowResult) => RowResult> {
  const own = await db('pass_delivery_templates').where({ organisation_id: organisationId }).select('title', 'type');
  const types = new Map<string, string>(Object.values(BUILT_IN_TEMPLATES).map((t) => [t.title, t.type]));
  for (const t of own) types.set(t.title, t.type);
  return (r) => {
    if (!r.ok || r.value.deliveryMethod === 'None') return r;
    const title = templateTitle(r.value);
    const type = types.get(title);
    if (!type) return { ok: false, error: `deliveryTemplate: "${title}" does not exist (create it with createNewPassDeliveryTemplate, or use ${DEFAULT_TEMPLATE[r.value.deliveryMethod]})` };
    if (type !== r.value.deliveryMethod) {
      return { ok: false, error: `deliveryTemplate: "${title}" is of type ${type}; deliveryMethod ${r.value.deliveryMethod} needs an ${r.value.deliveryMethod} template` };
    }
    return r;
  };
}

/** Whether a pass is to be delivered by email or SMS. */
export const toDeliver = (d: Pick<PassDetails, 'deliveryMethod' | 'deliveryAddress'>): boolean => d.deliveryMethod !== 'None' && d.deliveryAddress !== '';

/** Outbox rows for the created passes that ask for delivery, in the caller's transaction. */
export async function enqueuePassDeliveries(
  trx: Knex.Transaction,
  ctx: { organisationId: string; designTitle: string; distributionRequestId: string },
  created: CreatedPass[],
): Promise<number> {
  const delivered = created.filter((p) => toDeliver(p.details));
  if (!delivered.length) return 0;
  const org = await trx('organisations').where({ id: ctx.organisationId }).first('name');
  await enqueueNotifications(
    trx,
    delivered.map((p) => ({
      organisationId: ctx.organisationId,
      channel: p.details.deliveryMethod as 'Email' | 'SMS',
      recipient: p.details.deliveryAddress,
      kind: 'pass-delivery' as const,
      dispatchKey: dispatchKeys.passes(ctx.distributionRequestId),
      reference: p.serialNumber,
      template: templateTitle(p.details),
      params: {
        deliverySalutation: p.details.deliverySalutation,
        deliveryName: p.details.deliveryName,
        passDownloadLink: p.passDownloadLink,
        passDesignTitle: ctx.designTitle,
        organisationName: org?.name ?? ctx.organisationId,
        serialNumber: p.serialNumber,
        externalReferenceID: p.details.externalReferenceID,
      },
    })),
  );
  return delivered.length;
}
