import type { Principal } from '../../auth/tokens';
import type { Deps } from '../../deps';
import { logger } from '../../logger';
import { cancelUpdate, resendUpdate } from './defs';
import { recordAudit } from '../../services/audit';
import { DomainError } from '../../services/errors';
import {
  assertPending,
  AsyncIssuanceRow,
  CreateAsyncIssuanceInput,
  deleteUnstartedRequest,
  getAsyncIssuanceRequest,
  insertAsyncIssuanceRequest,
} from './requests';
import { startIssuanceWorkflow, updateIssuanceWorkflow } from './client';

/** Organisation-side use cases of async issuance requests: the API's mutations. */

/** `receivedAt` starts the expiry period (tests on a time-skipping server pass its clock). */
export async function createAsyncIssuanceRequest(
  deps: Deps,
  principal: Principal,
  input: CreateAsyncIssuanceInput,
  receivedAt = new Date(),
): Promise<AsyncIssuanceRow> {
  const row = await insertAsyncIssuanceRequest(deps.db, principal, input, receivedAt);
  try {
    await startIssuanceWorkflow(deps, row);
  } catch (err) {
    logger.error({ err, requestId: row.id }, 'issuance workflow could not be started; request removed');
    await deleteUnstartedRequest(deps.db, row.id);
    throw err;
  }
  return row;
}

/** Records who asked (the workflow receives only the audit event's ID), after checking the request is still pending. */
async function requestAction(deps: Deps, principal: Principal, id: string, action: 'cancel' | 'resend', verb: string) {
  const row = await getAsyncIssuanceRequest(deps.db, principal.org, id, 'id');
  assertPending(row, verb);
  if (action === 'resend' && !row.notification_email && !row.notification_phone) {
    throw new DomainError('CONFLICT', `cannot ${verb}: async issuance request ${id} has no contact notification details set`, 'id');
  }
  const auditEventId = await recordAudit(deps.db, {
    organisationId: principal.org,
    actor: principal.email,
    category: 'Distributions',
    action: action === 'cancel' ? 'cancelAsyncIssuanceRequest' : 'resendAsyncIssuanceNotification',
    subject: id,
  });
  return { row, auditEventId };
}

export async function cancelAsyncIssuanceRequest(deps: Deps, principal: Principal, id: string): Promise<AsyncIssuanceRow> {
  const { auditEventId } = await requestAction(deps, principal, id, 'cancel', 'cancel');
  await updateIssuanceWorkflow(deps, id, 'id', cancelUpdate, auditEventId);
  return getAsyncIssuanceRequest(deps.db, principal.org, id);
}

export async function resendAsyncIssuanceNotification(deps: Deps, principal: Principal, id: string): Promise<AsyncIssuanceRow> {
  const { auditEventId } = await requestAction(deps, principal, id, 'resend', 'resend the notification');
  await updateIssuanceWorkflow(deps, id, 'id', resendUpdate, auditEventId);
  return getAsyncIssuanceRequest(deps.db, principal.org, id);
}
