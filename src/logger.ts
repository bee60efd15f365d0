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

/** JSON logs on stdout; the mixin stamps the request/correlation id on every line. */
export const logger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'steward' },
  timestamp: pino.stdTimeFunctions.isoTime,
  mixin: () => currentLogContext(),
});
