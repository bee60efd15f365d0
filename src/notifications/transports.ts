/** What a delivery channel (SMTP, an SMS provider) is given and answers, behind one small interface. */
export interface PreparedMessage {
  /** Stable across retries: the email's Message-ID (`<id@domain>`), the SMS idempotency key. */
  messageId: string;
  recipient: string;
  subject: string | null;
  text: string;
  html: string | null;
}

export type SendOutcome =
  | { ok: true; providerMessageId: string }
  /** `retryable`: the provider may accept it later (4xx SMTP, 429/5xx HTTP, network); otherwise it never will. */
  | { ok: false; retryable: boolean; error: string };

export interface Transport {
  send(message: PreparedMessage): Promise<SendOutcome>;
  close(): void;
}
