import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { Logger } from 'pino';

/** Fields bound to the current request or job (requestId, correlationId, organisationId, ...). */
export type LogContext = Record<string, string | undefined>;

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `fields` added to every log line written inside it (also across awaits). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

export function currentLogContext(): LogContext {
  return context.getStore() ?? {};
}

/**
 * Keys whose values never reach a log line: secrets (tokens, client secrets, one-time codes, claim
 * tokens, pass links' encrypted details) and end users' personal data (delivery addresses, names,
 * pass field values). Redacted wherever such a key sits at the top level or one or two levels
 * down, so a logged request, body or error detail is covered as well.
 */
const SECRET_KEYS = [
  'authorization', 'Authorization', 'cookie', 'token', 'access_token', 'accessToken', 'refresh_token', 'client_secret', 'clientSecret',
  'secret', 'password', 'passphrase', 'otp', 'oneTimeCode', 'claimToken', 'claim_token', 'secretParams', 'secret_params', 'details', 'passApiKey', 'encryptedDetails',
];
const PERSONAL_KEYS = [
  'recipient', 'to', 'To', 'email', 'phone', 'identity', 'contact', 'notification_email', 'notification_phone', 'verification_email', 'verification_phone',
  'identityName', 'dynamicFields', 'dynamic_field_data', 'passDetails', 'body', 'html',
];
const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`);
const join = (prefix: string, k: string) => (key(k).startsWith('[') ? `${prefix}${key(k)}` : `${prefix}.${k}`);
export const REDACTED_PATHS = [...SECRET_KEYS, ...PERSONAL_KEYS].flatMap((k) => [key(k), join('*', k), join('*.*', k)]);

/** The options of every Steward logger (exported for tests). */
export const loggerOptions: pino.LoggerOptions = {
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'steward' },
  timestamp: pino.stdTimeFunctions.isoTime,
  mixin: () => currentLogContext(),
  redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
};

/** JSON logs on stdout; the mixin stamps the request/correlation id on every line. */
export const logger: Logger = pino(loggerOptions);
