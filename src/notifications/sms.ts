import { E164 } from '../domain/passDetails';
import { assertPublicDestination, BlockedAddressError } from '../services/callbacks/addressGuard';
import type { PreparedMessage, SendOutcome, Transport } from './transports';

/**
 * SMS through a provider speaking Twilio's Messages API (https://www.twilio.com/docs/messaging/api/message-resource):
 * `POST {SMS_PROVIDER_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/Messages.json`, HTTP Basic auth
 * (account SID : auth token), a form body `To`, `From`, `Body`, and the `I-Twilio-Idempotency-Token`
 * header (the outbox row's ID) so a retried request is not sent twice. A 201 answers `{"sid": ...}`.
 */
export class TwilioSmsTransport implements Transport {
  /** allowPrivate: CALLBACK_ALLOW_PRIVATE, whether SMS_PROVIDER_URL may resolve to a private or loopback address (tests). */
  constructor(private readonly cfg: { url: string; accountSid: string; authToken: string; from: string; allowPrivate: boolean }) {}

  async send(m: PreparedMessage): Promise<SendOutcome> {
    if (!E164.test(m.recipient)) return { ok: false, retryable: false, error: `recipient ${JSON.stringify(m.recipient)} is not an E.164 phone number (+447700900123)` };
    const url = `${this.cfg.url}/2010-04-01/Accounts/${encodeURIComponent(this.cfg.accountSid)}/Messages.json`;
    let res: Response;
    try {
      await assertPublicDestination(url, this.cfg.allowPrivate);
    } catch (err) {
      // A private address stays refused; a failed DNS lookup may pass.
      return { ok: false, retryable: !(err instanceof BlockedAddressError), error: `SMS provider address refused: ${(err as Error).message}` };
    }
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${this.cfg.accountSid}:${this.cfg.authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          'i-twilio-idempotency-token': m.messageId,
        },
        body: new URLSearchParams({ To: m.recipient, From: this.cfg.from, Body: m.text }).toString(),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      return { ok: false, retryable: true, error: `SMS provider unreachable: ${(err as Error).message}` };
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      let sid = '';
      try {
        sid = String(JSON.parse(text).sid ?? '');
      } catch {
        /* a 2xx without JSON still means accepted */
      }
      return { ok: true, providerMessageId: sid || `http-${res.status}` };
    }
    const detail = text.replace(/\s+/g, ' ').slice(0, 300);
    // Twilio: 400 invalid number/body, 401/403 credentials, 429 rate limit, 5xx provider trouble.
    const retryable = res.status === 429 || res.status >= 500 || res.status === 401 || res.status === 403;
    return { ok: false, retryable, error: `SMS provider answered ${res.status}: ${detail}` };
  }

  close(): void {}
}
