import type { Knex } from 'knex';
import { dispatchKeys } from './keys';
import { enqueueNotifications } from './outbox';
import { textToHtml } from './templates';
import { resultRecipients } from './users';

/**
 * The results email of a batch (distribution or invalidation): to the organisation's users with a
 * result role and the job's issuer, unless the organisation switched it off; whether or not a
 * callback URL is set. It links the result CSVs with the same expiring, organisation-bound links
 * as the callback.
 */
export async function enqueueResultsEmail(
  trx: Knex.Transaction,
  r: {
    kind: string;
    label: string;
    requestId: string;
    organisationId: string;
    jobIssuer: string | null;
    successCount: number;
    failureCount: number;
    successUrl: string;
    failureUrl: string;
    expiresAt: Date;
  },
): Promise<number> {
  const org = await trx('organisations').where({ id: r.organisationId }).first('name', 'results_email');
  if (!org?.results_email) return 0;
  const to = await resultRecipients(trx, r.organisationId, r.jobIssuer);
  const subject = `${r.label} ${r.requestId}: ${r.successCount} succeeded, ${r.failureCount} failed`;
  const body = [
    `${r.label} request ${r.requestId} of ${org.name} is complete: ${r.successCount} succeeded, ${r.failureCount} failed.`,
    '',
    `Successes (CSV): ${r.successUrl}`,
    `Failures (CSV): ${r.failureUrl}`,
    '',
    `These links expire on ${r.expiresAt.toISOString()} and need a sign-in to ${org.name}.`,
  ].join('\n');
  await enqueueNotifications(
    trx,
    to.map((recipient) => ({
      organisationId: r.organisationId,
      channel: 'Email' as const,
      recipient,
      kind: 'results' as const,
      dispatchKey: dispatchKeys.results(r.kind, r.requestId),
      reference: r.requestId,
      subject,
      body,
      html: textToHtml(body),
    })),
  );
  return to.length;
}
