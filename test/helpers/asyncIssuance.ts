import type { Deps } from '../../src/deps';
import { deliveredText, type NotificationServers, settled } from './notifications';

/** The notification outbox rows written for a request (the transport's side of each Communication). */
export function outboxFor(deps: Deps, requestId: string) {
  return deps.db('notification_outbox').where({ reference: requestId }).orderBy('created_at', 'asc');
}

/** The one-time code of the newest verification message, as the issuee read it (the email or SMS that arrived). */
export async function latestCode(deps: Deps, requestId: string, servers: NotificationServers): Promise<string> {
  const rows = await settled(deps, { reference: requestId, kind: 'verification-code' });
  const newest = rows[rows.length - 1];
  const text = deliveredText(servers, newest.id);
  const code = text && /verification code is (\d{6})/.exec(text)?.[1];
  if (!code) throw new Error(`no verification code arrived for ${requestId} (outbox ${newest.id}: ${newest.status} ${newest.last_error ?? ''})`);
  return code;
}

