import nodemailer, { type Transporter } from 'nodemailer';
import type { PreparedMessage, SendOutcome, Transport } from './transports';

/** The domain of the From address: the right-hand side of every Message-ID Steward sends. */
export function mailDomain(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'steward.local';
}

/**
 * Email over SMTP with nodemailer's pooled transport: a few long-lived connections, many messages
 * each. The Message-ID is set from the outbox row, so a retried send carries the same one and the
 * receiving side can recognise the copy.
 */
export class SmtpTransport implements Transport {
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(url: string, private readonly from: string, poolSize: number) {
    this.domain = mailDomain(from);
    this.transport = nodemailer.createTransport({
      url,
      pool: true,
      maxConnections: poolSize,
      maxMessages: 1000,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  async send(m: PreparedMessage): Promise<SendOutcome> {
    try {
      const info = await this.transport.sendMail({
        from: this.from,
        to: m.recipient,
        subject: m.subject ?? '',
        text: m.text,
        ...(m.html ? { html: m.html } : {}),
        messageId: `<${m.messageId}@${this.domain}>`,
      });
      if (info.rejected?.length) return { ok: false, retryable: false, error: `recipient refused: ${info.response ?? ''}`.trim() };
      return { ok: true, providerMessageId: String(info.response ?? info.messageId).slice(0, 500) };
    } catch (err) {
      return classifySmtpError(err as SmtpError);
    }
  }

  close(): void {
    this.transport.close();
  }
}

type SmtpError = Error & { responseCode?: number; response?: string; code?: string; command?: string };

/** 5xx replies are final (bad mailbox, policy); 4xx replies and network trouble are worth retrying. */
export function classifySmtpError(err: SmtpError): SendOutcome {
  const code = err.responseCode;
  const detail = (err.response ?? err.message).replace(/\s+/g, ' ').slice(0, 500);
  if (code && code >= 500) return { ok: false, retryable: false, error: `SMTP ${code}${err.command ? ` at ${err.command}` : ''}: ${detail}` };
  if (code && code >= 400) return { ok: false, retryable: true, error: `SMTP ${code}${err.command ? ` at ${err.command}` : ''}: ${detail}` };
  return { ok: false, retryable: true, error: `SMTP ${err.code ?? 'error'}: ${detail}` };
}
