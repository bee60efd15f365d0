import crypto from 'node:crypto';
import type { Config } from '../config';
import { secretOrDevFile } from '../secrets';

/**
 * Values a stored message must not show (one-time codes): sealed with AES-256-GCM under a key
 * derived from PASS_LINK_KEY, substituted into the body only at send time, and cleared after the
 * send. The stored body keeps the `{{oneTimeCode}}` placeholder.
 */
export class SealedParams {
  private readonly key: Buffer;

  constructor(config: Config) {
    const root = secretOrDevFile(config.passLinkKey, config.dataDir, 'pass-link-key');
    this.key = Buffer.from(crypto.hkdfSync('sha256', root, Buffer.alloc(0), 'steward notification sealed params', 32));
  }

  seal(values: Record<string, string>): string {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([c.update(JSON.stringify(values), 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), data]).toString('base64url');
  }

  open(sealed: string): Record<string, string> {
    const raw = Buffer.from(sealed, 'base64url');
    const d = crypto.createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8'));
  }
}

/** Substitutes sealed values into a stored text: `{{name}}` for each opened key. */
export function unseal(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (whole, name: string) => (name in values ? values[name] : whole));
}
