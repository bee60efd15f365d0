/**
 * Recognises failures that mean a dependency (PostgreSQL, the Temporal frontend) cannot be reached
 * right now, as opposed to a bug: the API answers them with 503 and a clear message instead of a
 * masked 500, so clients and load balancers retry later.
 */

// node-postgres / net errors, PostgreSQL's operator_intervention (57P0x) and connection_exception (08xxx) codes.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const PG_CODES = /^(57P0[1-3]|08\d{3})$/;
const PG_MESSAGES = /Connection terminated|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down|in recovery mode)/i;
// gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4) from the Temporal client.
const GRPC_UNAVAILABLE = new Set([14, 4]);

export type Dependency = 'PostgreSQL' | 'Temporal';

/** The dependency that was unreachable when `err` was thrown, or undefined for any other error. */
export function unavailableDependency(err: unknown): Dependency | undefined {
  for (let e: any = err, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (e.name === 'KnexTimeoutError') return 'PostgreSQL';
    if (typeof e.code === 'string' && (PG_CODES.test(e.code) || (NETWORK_CODES.has(e.code) && !e.metadata))) return 'PostgreSQL';
    if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return 'PostgreSQL';
    if (typeof e.code === 'number' && GRPC_UNAVAILABLE.has(e.code) && e.metadata !== undefined) return 'Temporal';
    if (e.name === 'ServiceError' && e.cause && GRPC_UNAVAILABLE.has(e.cause.code)) return 'Temporal';
  }
  return undefined;
}

/** Seconds a client is told to wait (Retry-After) before trying again. */
export const RETRY_AFTER_SECONDS = 10;

/** The message clients see: what is down, that nothing half-happened, what to do. */
export function unavailableMessage(dependency: Dependency): string {
  return `service unavailable: ${dependency} cannot be reached right now; retry in ${RETRY_AFTER_SECONDS} s (with the same Idempotency-Key for batch requests)`;
}
