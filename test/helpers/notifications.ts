import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deps } from '../../src/deps';
import { MailCatcher, type MailCatcherOptions } from '../../src/dev/mailCatcher';

/** One SMS as a Twilio-shaped provider received it. */
export interface ReceivedSms {
  path: string;
  authorization: string;
  idempotencyToken: string;
  contentType: string;
  form: Record<string, string>;
  sid: string;
}

/**
 * A real HTTP server speaking Twilio's Messages API (POST /2010-04-01/Accounts/{sid}/Messages.json,
 * form body, Basic auth): answers 201 with the message resource; a repeated idempotency token gets
 * the first answer again and sends nothing more, as Twilio does.
 */
export class SmsProvider {
  readonly messages: ReceivedSms[] = [];
  readonly requests: number[] = [];
  private readonly byToken = new Map<string, ReceivedSms>();
  respond: (index: number) => number = () => 201;
  private server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const index = this.requests.push(Date.now()) - 1;
      const status = this.respond(index);
      if (status !== 201) {
        res.writeHead(status, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ code: 20500, message: 'scripted failure', status }));
      }
      const token = String(req.headers['i-twilio-idempotency-token'] ?? '');
      let sms = token ? this.byToken.get(token) : undefined;
      if (!sms) {
        sms = {
          path: req.url ?? '',
          authorization: String(req.headers.authorization ?? ''),
          idempotencyToken: token,
          contentType: String(req.headers['content-type'] ?? ''),
          form: Object.fromEntries(new URLSearchParams(body)),
          sid: `SM${crypto.randomBytes(16).toString('hex')}`,
        };
        this.messages.push(sms);
        if (token) this.byToken.set(token, sms);
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid: sms.sid, status: 'queued', to: sms.form.To, from: sms.form.From, body: sms.form.Body }));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export const SMS_ACCOUNT = { sid: 'AC0123456789abcdef0123456789abcdef', token: 'test-auth-token', from: '+447700900000' };

/**
 * A real SMTP server and a real SMS provider for a test file, with the environment pointing
 * Steward at them (call before startHarness; `restore` puts the environment back).
 */
export async function startNotificationServers(mailOptions: MailCatcherOptions = {}) {
  const mail = await new MailCatcher(mailOptions).start();
  const sms = new SmsProvider();
  const smsUrl = await sms.start();
  const saved = { ...process.env };
  Object.assign(process.env, {
    SMTP_URL: mail.smtpUrl,
    MAIL_FROM: 'Steward Test <no-reply@steward.test>',
    SMS_PROVIDER_URL: smsUrl,
    SMS_ACCOUNT_SID: SMS_ACCOUNT.sid,
    SMS_AUTH_TOKEN: SMS_ACCOUNT.token,
    SMS_FROM: SMS_ACCOUNT.from,
  });
  return {
    mail,
    sms,
    async close() {
      for (const k of ['SMTP_URL', 'MAIL_FROM', 'SMS_PROVIDER_URL', 'SMS_ACCOUNT_SID', 'SMS_AUTH_TOKEN', 'SMS_FROM']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await mail.close();
      await sms.close();
    },
  };
}

export type NotificationServers = Awaited<ReturnType<typeof startNotificationServers>>;

/** The text that reached the recipient for an outbox row (email by Message-ID, SMS by idempotency key). */
export function deliveredText(servers: NotificationServers, outboxId: string): string | undefined {
  const email = servers.mail.messages.find((m) => m.messageId.startsWith(`<${outboxId}@`));
  if (email) return email.text;
  return servers.sms.messages.find((s) => s.idempotencyToken === outboxId)?.form.Body;
}

/** Waits until every outbox row matching `where` left `pending`; returns them. */
export async function settled(deps: Deps, where: Record<string, unknown>, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = await deps.db('notification_outbox').where(where).orderBy('created_at');
    if (rows.length && rows.every((r: { status: string }) => r.status !== 'pending')) return rows;
    if (Date.now() > until) throw new Error(`outbox rows ${JSON.stringify(where)} still pending: ${JSON.stringify(rows.map((r: any) => [r.status, r.last_error]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
