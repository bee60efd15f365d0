import { z } from 'zod';

/** Seed 001's patterns and lengths, shared by the REST edge and the admin CLI. */
export const issuerIdSchema = z.string().length(10, 'must be exactly 10 characters').describe('The id of the issuer');
export const consumerIdSchema = z
  .string()
  .min(1, 'must be 1-64 characters')
  .max(64, 'must be 1-64 characters')
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must match [A-Za-z0-9_-]{1,64}')
  .describe('Unique identifier of the end user.');
export const operationIdSchema = z
  .string()
  .min(1, 'must be 1-64 characters')
  .max(64, 'must be 1-64 characters')
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must match [A-Za-z0-9_-]{1,64}')
  .describe('Unique identifier of the operation');
export const correlationIdSchema = z
  .string()
  .min(1, 'must be 1-64 characters')
  .max(64, 'must be 1-64 characters')
  .regex(/^[a-zA-Z0-9_\-. ]{1,64}$/, 'must match [a-zA-Z0-9_\\-\\. ]{1,64}')
  .describe('Random identifier correlating the API calls of one use case; logged in clear, so never derived from personal data.');
export const reasonSchema = z
  .string()
  .regex(/^[a-zA-Z0-9 ]{1,64}$/, 'must match ^[a-zA-Z0-9 ]{1,64}$')
  .describe('The reason why the action is performed (free text, returned in the operations list).');

export const REASON_CODES = ['ISSUER_DECISION', 'USER_REQUEST', 'FRAUD', 'OTHER'] as const;
export const REQUESTOR_TYPES = ['USER', 'ISSUER', 'CCI'] as const;
export const OPERATION_STATUSES = ['PENDING', 'SUCCESS', 'FAILED'] as const;
export const reasonCodeSchema = z
  .enum(REASON_CODES, { error: `must be one of ${REASON_CODES.join(', ')}` })
  .describe('Why the action is performed; default ISSUER_DECISION.');

export type ReasonCode = (typeof REASON_CODES)[number];
export type RequestorType = (typeof REQUESTOR_TYPES)[number];
export type OperationStatus = (typeof OPERATION_STATUSES)[number];
