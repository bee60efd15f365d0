import { z } from 'zod';
import { ConfigError } from '../config';

/**
 * Configuration of email and SMS delivery (issue 13), merged into the one environment schema of
 * src/config.ts. Unset transports leave messages pending (visible in `admin notification list`).
 */
export const notificationEnv = {
  // SMTP server, e.g. smtp://user:pass@mail.example:587 or smtps://...:465 (nodemailer URL). npm start: its mail catcher.
  SMTP_URL: z.string().url().refine((u) => /^smtps?:\/\//.test(u), 'must be an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().min(3).default('Steward <no-reply@steward.local>'),
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(5),
  // SMS provider speaking Twilio's Messages API: base URL (https://api.twilio.com), account SID, auth token, sender.
  SMS_PROVIDER_URL: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL').optional(),
  SMS_ACCOUNT_SID: z.string().min(1).optional(),
  SMS_AUTH_TOKEN: z.string().min(1).optional(),
  SMS_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +447700900000').optional(),
  // Messages per delivery activity and messages in flight at once in it.
  NOTIFY_CHUNK_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(20),
  // npm start's local mail catcher (SMTP + web page); defaults derive from PORT (PORT+25, PORT+80).
  MAIL_CATCHER_SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  MAIL_CATCHER_WEB_PORT: z.coerce.number().int().min(1).max(65535).optional(),
};

type NotificationEnv = z.infer<z.ZodObject<typeof notificationEnv>>;

export interface NotificationConfig {
  smtpUrl?: string;
  mailFrom: string;
  smtpPoolSize: number;
  sms?: { url: string; accountSid: string; authToken: string; from: string };
  chunkSize: number;
  concurrency: number;
  mailCatcher: { smtpPort: number; webPort: number };
}

export function notificationConfig(e: NotificationEnv & { PORT: number }): NotificationConfig {
  const smsVars = [e.SMS_PROVIDER_URL, e.SMS_ACCOUNT_SID, e.SMS_AUTH_TOKEN, e.SMS_FROM];
  if (smsVars.some(Boolean) && !smsVars.every(Boolean)) {
    throw new ConfigError('Invalid configuration: SMS needs all of SMS_PROVIDER_URL, SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM');
  }
  return {
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    smtpPoolSize: e.SMTP_POOL_SIZE,
    sms: e.SMS_PROVIDER_URL ? { url: e.SMS_PROVIDER_URL.replace(/\/$/, ''), accountSid: e.SMS_ACCOUNT_SID!, authToken: e.SMS_AUTH_TOKEN!, from: e.SMS_FROM! } : undefined,
    chunkSize: e.NOTIFY_CHUNK_SIZE,
    concurrency: e.NOTIFY_CONCURRENCY,
    mailCatcher: { smtpPort: e.MAIL_CATCHER_SMTP_PORT ?? (e.PORT || 4000) + 25, webPort: e.MAIL_CATCHER_WEB_PORT ?? (e.PORT || 4000) + 80 },
  };
}
