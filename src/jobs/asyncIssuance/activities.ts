import { ApplicationFailure } from '@temporalio/activity';
import type { Deps } from '../../deps';
import type { FailureCode } from '../../domain/asyncIssuance';
import { ClaimSecrets } from './claimSecrets';
import { AsyncIssuanceNotFound, finishRequest, issue, sendInvitation, sendVerificationCode } from './lifecycle';
import { PassLinks } from '../../services/passLinks';
import { SealedParams } from '../../notifications/sealedParams';

/** The issuance-expiry workflow's activities: IDs in, statuses and counts out. */
export function createAsyncIssuanceActivities(deps: Deps) {
  const secrets = new ClaimSecrets(deps.config);
  const links = new PassLinks(deps.config);
  const sealed = new SealedParams(deps.config);
  // A request that does not exist will not appear on retry: fail the activity for good.
  const notFoundIsFinal = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof AsyncIssuanceNotFound) throw ApplicationFailure.nonRetryable(err.message, 'AsyncIssuanceNotFound');
      throw err;
    }
  };
  return {
    sendIssuanceInvitation: (requestId: string, seq: number, auditEventId: number | null) =>
      notFoundIsFinal(() => sendInvitation(deps.db, secrets, requestId, seq, auditEventId)),
    sendIssuanceVerificationCode: (requestId: string, seq: number) => notFoundIsFinal(() => sendVerificationCode(deps.db, secrets, sealed, requestId, seq)),
    finishIssuanceRequest: (requestId: string, status: 'CANCELLED' | 'EXPIRED' | 'FAILED', opts: { auditEventId?: number; reason?: FailureCode }) =>
      notFoundIsFinal(() => finishRequest(deps.db, requestId, status, opts)),
    issueAsyncIssuance: (requestId: string) => notFoundIsFinal(() => issue(deps.db, links, requestId)),
  };
}

export type AsyncIssuanceActivities = ReturnType<typeof createAsyncIssuanceActivities>;
