import crypto from 'node:crypto';
import { compactDecrypt } from 'jose';
import type { Config } from '../config';
import { secretOrDevFile } from '../secrets';
import { DomainError } from './errors';

/** What a pass download link and passApiKey carry: enough to find the pass, nothing personal. */
export interface PassLinkDetails {
  serialNumber: string;
  organisationId: string;
}

/** base64url of {"alg":"dir","enc":"A256GCM"}: the protected header, also the AAD. */
const JWE_HEADER = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM' })).toString('base64url');

export class PassLinks {
  private readonly key: Uint8Array;

  constructor(private readonly config: Config) {
    this.key = secretOrDevFile(config.passLinkKey, config.dataDir, 'pass-link-key');
    if (this.key.length !== 32) throw new Error('PASS_LINK_KEY must be 32 bytes (base64 encoded)');
  }

  /**
   * passApiKey: a compact JWE (alg "dir", enc "A256GCM"), so it can be neither read nor forged
   * without the key. Encrypted with node:crypto directly (10x faster than WebCrypto per call, which
   * matters for 100,000-pass batches); the format is standard and `open` decrypts it with jose.
   */
  apiKey(details: PassLinkDetails): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(JWE_HEADER, 'ascii'));
    const body = JSON.stringify({ s: details.serialNumber, o: details.organisationId });
    const ciphertext = Buffer.concat([cipher.update(body, 'utf8'), cipher.final()]);
    return [JWE_HEADER, '', iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  downloadLink(apiKey: string): string {
    return `${this.config.publicBaseUrl}/pass-download?details=${apiKey}`;
  }

  async open(apiKey: string): Promise<PassLinkDetails> {
    try {
      const { plaintext } = await compactDecrypt(apiKey, this.key);
      const { s, o } = JSON.parse(new TextDecoder().decode(plaintext));
      return { serialNumber: s, organisationId: o };
    } catch {
      throw new DomainError('BAD_USER_INPUT', 'the encrypted pass details are invalid or have been tampered with', 'input.encryptedDetails');
    }
  }
}
