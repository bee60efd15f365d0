import { compactDecrypt, CompactEncrypt } from 'jose';
import type { Config } from '../config';
import { secretOrDevFile } from '../secrets';
import { DomainError } from './errors';

/** What a pass download link and passApiKey carry: enough to find the pass, nothing personal. */
export interface PassLinkDetails {
  serialNumber: string;
  organisationId: string;
}

export class PassLinks {
  private readonly key: Uint8Array;

  constructor(private readonly config: Config) {
    this.key = secretOrDevFile(config.passLinkKey, config.dataDir, 'pass-link-key');
    if (this.key.length !== 32) throw new Error('PASS_LINK_KEY must be 32 bytes (base64 encoded)');
  }

  /** passApiKey: a JWE (dir, A256GCM), so it can be neither read nor forged without the key. */
  async apiKey(details: PassLinkDetails): Promise<string> {
    const body = JSON.stringify({ s: details.serialNumber, o: details.organisationId });
    return new CompactEncrypt(new TextEncoder().encode(body)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(this.key);
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
