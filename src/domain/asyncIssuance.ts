/** Pure rules of async issuance requests (seed 000, SPEC.md Domain 3). */

export const STATUSES = ['PENDING', 'COMPLETED', 'CANCELLED', 'EXPIRED', 'FAILED'] as const;
export type AsyncIssuanceStatus = (typeof STATUSES)[number];

export const EXPIRIES = ['ONE_DAY', 'THREE_DAYS', 'SEVEN_DAYS', 'THIRTY_DAYS'] as const;
export type AsyncIssuanceExpiry = (typeof EXPIRIES)[number];

const DAY_MS = 24 * 3600 * 1000;
const EXPIRY_DAYS: Record<AsyncIssuanceExpiry, number> = { ONE_DAY: 1, THREE_DAYS: 3, SEVEN_DAYS: 7, THIRTY_DAYS: 30 };

/** Wrong one-time codes allowed over a request's life; the last one fails the request. */
export const MAX_CODE_ATTEMPTS = 5;
/** How long a one-time code is valid, and how soon another may be sent. */
export const CODE_TTL_MS = 10 * 60 * 1000;
export const CODE_RESEND_INTERVAL_MS = 30 * 1000;

/** The period starts upon receipt of the request. */
export function expiresOn(receivedAt: Date, expiry: AsyncIssuanceExpiry): Date {
  return new Date(receivedAt.getTime() + EXPIRY_DAYS[expiry] * DAY_MS);
}

/** A final status never changes and allows no further action. */
export function isStatusFinal(status: AsyncIssuanceStatus): boolean {
  return status !== 'PENDING';
}

/** Why a request failed, by code: workflows carry the code, the database the sentence. */
export const FAILURE_REASONS = {
  VERIFICATION_ATTEMPTS_EXCEEDED: `contact verification failed: ${MAX_CODE_ATTEMPTS} wrong one-time codes were entered`,
} as const;
export type FailureCode = keyof typeof FAILURE_REASONS;

export interface IdentityDetails {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
}

/**
 * The pass's dynamic fields: those given explicitly, then every other design field whose key
 * names an identity attribute (e.g. `member_name`, `email_address`, `phone`) filled from the
 * identity. Fields still missing are left for validation to report.
 */
export function fillDynamicFields(designKeys: readonly string[], given: Record<string, string>, identity: IdentityDetails): Record<string, string> {
  const fields: Record<string, string> = { ...given };
  for (const key of designKeys) {
    if (key in fields) continue;
    const k = key.toLowerCase();
    const value = /e-?mail/.test(k) ? identity.email : /phone|mobile|msisdn/.test(k) ? identity.phone : /name/.test(k) ? identity.name : null;
    if (value) fields[key] = value;
  }
  return fields;
}

/** j***@example.com: shows the issuee where a code went without repeating the address. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, Math.min(1, at))}***${email.slice(at)}`;
}

/** +44*******123 */
export function maskPhone(phone: string): string {
  return `${phone.slice(0, 3)}${'*'.repeat(Math.max(0, phone.length - 6))}${phone.slice(-3)}`;
}

export interface MessageContext {
  organisationName: string;
  contractName: string;
  identityName: string | null;
  expiresOn: Date;
}

/** The invitation: email subject and body, or SMS body (subject null). */
export function invitationMessage(channel: 'EMAIL' | 'SMS', ctx: MessageContext, claimUrl: string): { subject: string | null; body: string } {
  const until = ctx.expiresOn.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  if (channel === 'SMS') return { subject: null, body: `${ctx.organisationName}: claim your ${ctx.contractName} before ${until}: ${claimUrl}` };
  return {
    subject: `${ctx.organisationName} has issued you a ${ctx.contractName}`,
    body: [
      `Hello${ctx.identityName ? ` ${ctx.identityName}` : ''},`,
      '',
      `${ctx.organisationName} has issued you a ${ctx.contractName}. Claim it before ${until}:`,
      claimUrl,
    ].join('\n'),
  };
}

export function verificationMessage(channel: 'EMAIL' | 'SMS', ctx: MessageContext, code: string): { subject: string | null; body: string } {
  const body = `Your ${ctx.organisationName} verification code is ${code}. It is valid for ${CODE_TTL_MS / 60_000} minutes.`;
  return { subject: channel === 'EMAIL' ? `Your ${ctx.contractName} verification code` : null, body };
}
