import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AsyncIssuanceStatus, FailureCode } from '../../domain/asyncIssuance';

/**
 * The issuance-expiry workflow's interface, shared by the workflow and the API's client.
 * Arguments are IDs and codes only: who acted is an audit-event ID, codes and contact data stay
 * in PostgreSQL.
 */
export interface AsyncIssuanceInput {
  requestId: string;
  /** ISO timestamp of the request's expiresOn (not personal). */
  expiresOn: string;
  /** Carried over continue-as-new. */
  sends?: number;
  continued?: boolean;
}

export const cancelUpdate = defineUpdate<AsyncIssuanceStatus, [auditEventId: number]>('cancel');
export const resendUpdate = defineUpdate<{ sent: number }, [auditEventId: number]>('resendNotification');
export const sendCodeUpdate = defineUpdate<{ sent: number }, []>('sendVerificationCode');
export const claimUpdate = defineUpdate<AsyncIssuanceStatus, []>('claim');
export const failUpdate = defineUpdate<AsyncIssuanceStatus, [reason: FailureCode]>('fail');
export const statusQuery = defineQuery<{ status: AsyncIssuanceStatus; sends: number; expiresOn: string }>('status');
