import type { Deps } from '../deps';
import { logger } from '../logger';
import { applePassTypeIdentifier } from '../services/appleWallet';
import { applyWalletEvent, dispatchPassCallbacks, lockWalletPass } from '../services/walletEvents';
import { ApnsClient, apnsOptions } from './apple/apns';
import { forEachBounded } from './boundedPool';
import { googleObjectId, googleObjectState } from './google/objects';
import { GoogleWalletApi, googleApiOptions } from './google/walletApi';
import { loadPassContent } from './passContent';

/**
 * Tells wallets that passes changed. The `wallet_push_queue` (filled by the passes trigger, one row
 * per pass with its newest update tag) is drained in chunks: a chunk is claimed with SKIP LOCKED and
 * a lease, so concurrent drainers never share a pass; each registered Apple device gets one APNs
 * push, each handed-out Google object one PATCH, `concurrency` at a time; then the row is deleted
 * only if its tag is still the one pushed (a newer change keeps it queued). Idempotent per pass and
 * tag: a retried chunk re-sends at most a content-free "something changed" notification.
 */
export interface WalletPushers {
  apns?: ApnsClient;
  google?: GoogleWalletApi;
  concurrency: number;
}

export function walletPushers(deps: Deps): WalletPushers {
  const apns = apnsOptions(deps.config);
  const google = googleApiOptions(deps.config);
  if (!apns) logger.info('APNs pushes are off (set APNS_KEY, APNS_KEY_ID, APNS_TEAM_ID; or APNS_URL in development)');
  return { apns: apns && new ApnsClient(apns), google: google && new GoogleWalletApi(google), concurrency: deps.config.wallet.pushConcurrency };
}

export interface PushChunkResult {
  /** Passes claimed from the queue (fewer than the limit: the queue is drained). */
  claimed: number;
  applePushed: number;
  appleUnregistered: number;
  googlePatched: number;
  /** Pushes that kept failing after the in-chunk retries: their passes are retried later. */
  failed: number;
}

const LEASE = '2 minutes';
/** After a failed chunk, a pass is retried after 10 s, 20 s, 40 s... at most 10 minutes. */
const retryDelaySql = "least(interval '10 seconds' * power(2, least(q.attempts, 10)), interval '10 minutes')";

interface Registration {
  id: string;
  pass_id: string;
  device_library_identifier: string;
  push_token: string;
  organisation_id: string;
  serial_number: string;
}

export async function pushWalletChunk(deps: Deps, pushers: WalletPushers, limit: number, heartbeat: () => void = () => {}): Promise<PushChunkResult> {
  const result: PushChunkResult = { claimed: 0, applePushed: 0, appleUnregistered: 0, googlePatched: 0, failed: 0 };
  if (!pushers.apns && !pushers.google) return result; // leave the queue to a worker that can push
  const { rows: claimed } = await deps.db.raw<{ rows: { pass_id: string; update_tag: string }[] }>(
    `UPDATE wallet_push_queue q SET claimed_until = now() + interval '${LEASE}', attempts = q.attempts + 1
     WHERE q.pass_id IN (SELECT pass_id FROM wallet_push_queue WHERE claimed_until IS NULL OR claimed_until < now() LIMIT ? FOR UPDATE SKIP LOCKED)
     RETURNING q.pass_id, q.update_tag::text AS update_tag`,
    [limit],
  );
  result.claimed = claimed.length;
  if (!claimed.length) return result;
  const passIds = claimed.map((c) => c.pass_id);
  // update_tag as text: microseconds, which a JS Date would cut to milliseconds.
  const failedPasses = new Map<string, string>();

  const registrations: Registration[] = pushers.apns
    ? await deps.db('device_registrations as r')
        .join('passes as p', 'p.id', 'r.pass_id')
        .whereIn('r.pass_id', passIds)
        .select('r.id', 'r.pass_id', 'r.device_library_identifier', 'r.push_token', 'p.organisation_id', 'p.serial_number')
    : [];
  const googlePasses: { id: string; serial_number: string }[] = pushers.google
    ? await deps.db('passes').whereIn('id', passIds).andWhere('google_object_issued', true).select('id', 'serial_number')
    : [];

  type Task = { kind: 'apple'; r: Registration } | { kind: 'google'; passId: string; serialNumber: string };
  const tasks: Task[] = [...registrations.map((r) => ({ kind: 'apple' as const, r })), ...googlePasses.map((p) => ({ kind: 'google' as const, passId: p.id, serialNumber: p.serial_number }))];
  let done = 0;
  await forEachBounded(tasks, pushers.concurrency, async (task) => {
    try {
      if (task.kind === 'apple') {
        const r = task.r;
        const res = await pushers.apns!.push(r.push_token, applePassTypeIdentifier(deps.config, r.organisation_id));
        if (res.status === 200) result.applePushed++;
        else if (res.status === 410) {
          await removeRegistration(deps, r);
          result.appleUnregistered++;
        } else if (res.status === 0 || res.status === 429 || res.status >= 500) {
          failedPasses.set(r.pass_id, `APNs ${res.status} ${res.reason ?? ''}`.trim());
        } else {
          // 400 BadDeviceToken, 403...: sending again would not help; logged, not retried.
          logger.warn({ passId: r.pass_id, status: res.status, reason: res.reason }, 'APNs refused a pass update push');
        }
      } else {
        const content = await loadPassContent(deps.db, task.serialNumber);
        if (!content) return;
        const res = await pushers.google!.patchObject(googleObjectId(pushers.google!.issuerId, task.serialNumber), googleObjectState(content));
        if (res.status >= 200 && res.status < 300) result.googlePatched++;
        else if (res.status === 404) logger.debug({ passId: task.passId }, 'Google object never saved; nothing to update');
        else if (res.status === 0 || res.status === 429 || res.status >= 500) failedPasses.set(task.passId, `Google ${res.status} ${res.error ?? ''}`.trim());
        else logger.warn({ passId: task.passId, status: res.status }, 'Google Wallet refused an object update');
      }
    } catch (err) {
      failedPasses.set(task.kind === 'apple' ? task.r.pass_id : task.passId, (err as Error).message);
    }
    if (++done % 200 === 0) heartbeat();
  });
  result.failed = failedPasses.size;

  // Done: delete the rows whose tag is still the pushed one. Failed: back off; the next drain retries.
  const pushed = claimed.filter((c) => !failedPasses.has(c.pass_id));
  for (let i = 0; i < pushed.length; i += 1000) {
    const slice = pushed.slice(i, i + 1000);
    await deps.db.raw(
      `DELETE FROM wallet_push_queue q USING (SELECT unnest(?::uuid[]) AS pass_id, unnest(?::timestamptz[]) AS update_tag) d
       WHERE q.pass_id = d.pass_id AND q.update_tag = d.update_tag`,
      [slice.map((c) => c.pass_id), slice.map((c) => c.update_tag)],
    );
  }
  for (const [passId, error] of failedPasses) {
    await deps.db.raw(`UPDATE wallet_push_queue q SET claimed_until = now() + ${retryDelaySql}, last_error = ? WHERE q.pass_id = ?`, [error, passId]);
  }
  return result;
}

/** APNs 410: the device no longer has the pass. As its unregistering would: the last device reports `Deregistered`. */
async function removeRegistration(deps: Deps, r: Registration): Promise<void> {
  const passId = await deps.db.transaction(async (trx) => {
    const pass = await lockWalletPass(trx, r.serial_number);
    const removed = await trx('device_registrations').where({ id: r.id, push_token: r.push_token }).delete();
    if (pass && removed) {
      const [{ count }] = await trx('device_registrations').where({ pass_id: pass.id }).count<{ count: string }[]>('* as count');
      await applyWalletEvent(trx, pass, { kind: 'appleUnregistered', devicesLeft: Number(count) });
    }
    return pass?.id;
  });
  if (passId && deps.temporal) await dispatchPassCallbacks(deps, passId);
}
