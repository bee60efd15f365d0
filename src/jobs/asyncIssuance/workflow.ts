import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AsyncIssuanceActivities } from './activities';
import type { AsyncIssuanceStatus } from '../../domain/asyncIssuance';
import { AsyncIssuanceInput, cancelUpdate, claimUpdate, failUpdate, resendUpdate, sendCodeUpdate, statusQuery } from './defs';
import { startNotificationDelivery } from '../notifications/workflow';

const { sendIssuanceInvitation, sendIssuanceVerificationCode, finishIssuanceRequest, issueAsyncIssuance } = proxyActivities<AsyncIssuanceActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * The issuance-expiry workflow of one async issuance request (ID `async-issuance-<requestId>`):
 * sends the invitation, then waits for the issuee's claim, a cancel, a resend or the timer at
 * `expiresOn`, and ends in a final status. Every transition is also a conditional update in
 * PostgreSQL (the source of truth, read by the API), so a late event can never undo a final one.
 */
export async function asyncIssuance(input: AsyncIssuanceInput): Promise<AsyncIssuanceStatus> {
  const { requestId } = input;
  const expiresAt = Date.parse(input.expiresOn);
  let status: AsyncIssuanceStatus = 'PENDING';
  let sends = input.sends ?? 0;
  // Set synchronously when a final transition begins, so no other action slips in meanwhile.
  let closing = false;

  // Validators ignore the update's arguments (typed as rest args so each update keeps its own).
  const refuseWhenClosing = (..._args: unknown[]) => {
    if (closing) {
      throw ApplicationFailure.nonRetryable(
        `async issuance request ${requestId} is ${status === 'PENDING' ? 'being finalised' : status}: no further actions can be taken`,
        'AsyncIssuanceRequestFinal',
      );
    }
  };
  const refuseWhenClosingOrExpired = (..._args: unknown[]) => {
    refuseWhenClosing();
    if (Date.now() >= expiresAt) throw ApplicationFailure.nonRetryable(`async issuance request ${requestId} has expired`, 'AsyncIssuanceRequestFinal');
  };
  const notPending = (): never => {
    throw ApplicationFailure.nonRetryable(`async issuance request ${requestId} is no longer pending`, 'AsyncIssuanceRequestFinal');
  };
  const close = async (transition: () => Promise<AsyncIssuanceStatus>) => {
    closing = true;
    status = await transition();
    return status;
  };

  setHandler(statusQuery, () => ({ status, sends, expiresOn: input.expiresOn }));
  setHandler(cancelUpdate, (auditEventId) => close(() => finishIssuanceRequest(requestId, 'CANCELLED', { auditEventId })), {
    validator: refuseWhenClosing,
  });
  setHandler(
    resendUpdate,
    async (auditEventId) => {
      const r = await sendIssuanceInvitation(requestId, ++sends, auditEventId);
      if (r.sent) await startNotificationDelivery(r.dispatchKey);
      return r.pending ? { sent: r.sent } : notPending();
    },
    { validator: refuseWhenClosingOrExpired },
  );
  setHandler(
    sendCodeUpdate,
    async () => {
      const r = await sendIssuanceVerificationCode(requestId, ++sends);
      if (r.sent) await startNotificationDelivery(r.dispatchKey);
      return r.pending ? { sent: r.sent } : notPending();
    },
    { validator: refuseWhenClosingOrExpired },
  );
  setHandler(claimUpdate, () => close(() => issueAsyncIssuance(requestId)), { validator: refuseWhenClosingOrExpired });
  setHandler(failUpdate, (reason) => close(() => finishIssuanceRequest(requestId, 'FAILED', { reason })), { validator: refuseWhenClosing });

  if (!input.continued) {
    const first = await sendIssuanceInvitation(requestId, 0, null);
    if (first.sent) await startNotificationDelivery(first.dispatchKey);
    if (!first.pending) {
      // Finalised before the workflow started (e.g. a creation rolled back): nothing to wait for.
      closing = true;
      status = first.status;
    }
  }
  for (;;) {
    const woken = await condition(() => closing || workflowInfo().continueAsNewSuggested, Math.max(1, expiresAt - Date.now()));
    if (closing) break;
    if (!woken) {
      await close(() => finishIssuanceRequest(requestId, 'EXPIRED', {}));
      break;
    }
    await condition(allHandlersFinished);
    if (!closing) await continueAsNew<typeof asyncIssuance>({ ...input, sends, continued: true });
  }
  await condition(allHandlersFinished);
  return status;
}
