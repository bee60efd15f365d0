import type { Deps } from '../../src/deps';
import type { CallbackReceiver } from '../helpers/receiver';
import { gql } from '../helpers/harness';

/** Checks shared by the fault scenarios: the business outcome, counted in PostgreSQL and at the receiver. */

/** `distributePassBatch` of `n` generated rows; returns the request ID from the answer. */
export async function distributeBatch(baseUrl: string, token: string, title: string, n: number, headers: Record<string, string> = {}) {
  const rows = Array.from({ length: n }, (_, i) => ({ externalReferenceID: `e${i}`, dynamicFields: { membership_number: `${i}`, membership_name: 'N' } }));
  const res = await fetch(`${baseUrl}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query: 'mutation($i: DistributionRequest) { distributePassBatch(input: $i) { message } }', variables: { i: { title, passDetails: rows } } }),
  });
  const body = (await res.json()) as any;
  const m = /request ([0-9a-f-]{36})/.exec(body?.data?.distributePassBatch?.message ?? '');
  if (!m) throw new Error(`distributePassBatch: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  return m[1];
}

/** Passes of a distribution request: how many, how many distinct serials, the highest card number. */
export async function passStats(deps: Deps, where: { distribution_request_id: string } | { pass_design_id: string }) {
  return deps.db('passes')
    .where(where)
    .first(deps.db.raw('count(*)::int as passes'), deps.db.raw('count(distinct serial_number)::int as serials'), deps.db.raw('max(card_number)::int as max_card'));
}

/** The design's serial sequence handed out exactly `n` card numbers, 1..n, each to one pass: none twice, none skipped. */
export async function expectSerialsWithoutGap(deps: Deps, design: { id: string; serial_sequence_id: string }, n: number) {
  expect(await passStats(deps, { pass_design_id: design.id })).toEqual({ passes: n, serials: n, max_card: n });
  expect((await deps.db('serial_sequences').where({ id: design.serial_sequence_id }).first('latest_card_number')).latest_card_number).toBe(n);
}

/**
 * The batch ended exactly once: `n` passes with `n` distinct serials, every staged row a
 * success, the request Complete with its counts, and one delivered callback whose every request at
 * the receiver carried the same webhook-id and the right counts.
 */
export async function expectDistributedOnce(deps: Deps, receiver: CallbackReceiver, requestId: string, n: number) {
  const stats = await passStats(deps, { distribution_request_id: requestId });
  expect({ passes: stats.passes, serials: stats.serials }).toEqual({ passes: n, serials: n });
  const staged = await deps.db('distribution_rows').where({ request_id: requestId }).groupBy('status').select('status', deps.db.raw('count(*)::int as n'));
  expect(staged).toEqual([{ status: 'success', n }]);
  expect(await deps.db('distribution_requests').where({ id: requestId }).first('status', 'batch_count', 'processed_count', 'success_count', 'failure_count')).toEqual({
    status: 'Complete',
    batch_count: n,
    processed_count: n,
    success_count: n,
    failure_count: 0,
  });
  const webhookId = `msg_distribution_${requestId}`;
  await receiver.waitFor((reqs) => reqs.some((r) => r.headers['webhook-id'] === webhookId), 60_000);
  const received = receiver.requests.filter((r) => JSON.parse(r.body || '{}').requestID === requestId);
  expect(new Set(received.map((r) => r.headers['webhook-id']))).toEqual(new Set([webhookId]));
  expect(received.filter((r) => r.headers['webhook-id'] === webhookId)).toHaveLength(1);
  expect(JSON.parse(received[0].body)).toMatchObject({ requestID: requestId, successCount: n, failureCount: 0 });
  expect(await deps.db('callback_deliveries').where({ id: webhookId }).first('status', 'attempts')).toEqual({ status: 'delivered', attempts: 1 });
}

export { gql };
