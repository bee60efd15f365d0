import type { Config } from '../config';
import type { Channels } from './delivery';
import { SmtpTransport } from './email';
import { TwilioSmsTransport } from './sms';

/** The configured channels (one pooled SMTP transport shared by every activity of the process). */
export function createChannels(config: Config): Channels & { close(): void } {
  const n = config.notifications;
  const Email = n.smtpUrl ? new SmtpTransport(n.smtpUrl, n.mailFrom, n.smtpPoolSize) : undefined;
  const SMS = n.sms ? new TwilioSmsTransport({ ...n.sms, allowPrivate: config.callbackAllowPrivate }) : undefined;
  return {
    Email,
    SMS,
    close() {
      Email?.close();
      SMS?.close();
    },
  };
}

const shared = new Map<string, ReturnType<typeof createChannels>>();

/** Channels of the process for this configuration, created on first use. */
export function sharedChannels(config: Config): Channels {
  const n = config.notifications;
  const key = JSON.stringify([n.smtpUrl, n.mailFrom, n.smtpPoolSize, n.sms]);
  if (!shared.has(key)) shared.set(key, createChannels(config));
  return shared.get(key)!;
}

/** Closes the pooled connections (process shutdown, end of a test). */
export function closeSharedChannels(): void {
  for (const c of shared.values()) c.close();
  shared.clear();
}
