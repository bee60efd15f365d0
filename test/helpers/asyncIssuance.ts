import type { Deps } from '../../src/deps';

/** The notification outbox rows written for a request (the transport's side of each Communication). */
export function outboxFor(deps: Deps, requestId: string) {
  return deps.db('notification_outbox').where({ reference: requestId }).orderBy('created_at', 'asc');
}

/** The one-time code of the newest verification message (as the issuee would read it). */
export async function latestCode(deps: Deps, requestId: string): Promise<string> {
  const rows = await outboxFor(deps, requestId);
  const bodies = rows.map((r: { body: string }) => /verification code is (\d{6})/.exec(r.body)?.[1]).filter(Boolean);
  if (!bodies.length) throw new Error(`no verification code sent for ${requestId}`);
  return bodies[bodies.length - 1]!;
}

/** Polls until `check` returns a value (the workflow works asynchronously). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
