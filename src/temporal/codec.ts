import crypto from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { secretOrDevFile } from '../secrets';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

/**
 * Encrypts every Temporal payload (workflow and activity inputs and results, signals, queries,
 * updates, memos) with AES-256-GCM, so histories stored by Temporal are unreadable without
 * Steward's key: defence in depth on top of carrying IDs only. The whole payload (metadata
 * included) is serialised and encrypted; a payload not encrypted by this codec passes through.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  readonly keyId: string;

  constructor(private readonly key: Uint8Array) {
    if (key.length !== 32) throw new Error('payload encryption key must be 32 bytes');
    // Identifies the key (not secret) so a rotation can tell which key encrypted a payload.
    this.keyId = crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => ({
      metadata: { encoding: utf8(ENCODING), [KEY_ID]: utf8(this.keyId) },
      data: this.encrypt(temporal.api.common.v1.Payload.encode(p).finish()),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (text(p.metadata?.encoding) !== ENCODING) return p;
      const keyId = text(p.metadata?.[KEY_ID]);
      if (keyId !== this.keyId) throw new Error(`payload was encrypted with key ${keyId}, not the configured key ${this.keyId}`);
      return temporal.api.common.v1.Payload.decode(this.decrypt(p.data ?? new Uint8Array()));
    });
  }

  private encrypt(plain: Uint8Array): Uint8Array {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  }

  private decrypt(sealed: Uint8Array): Uint8Array {
    const b = Buffer.from(sealed);
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, b.subarray(0, IV_BYTES));
    decipher.setAuthTag(b.subarray(b.length - TAG_BYTES));
    return Buffer.concat([decipher.update(b.subarray(IV_BYTES, b.length - TAG_BYTES)), decipher.final()]);
  }
}

/** PAYLOAD_ENCRYPTION_KEY, or in development a key generated once in the data folder. */
export function payloadEncryptionKey(config: Config): Uint8Array {
  return config.payloadEncryptionKey
    ? new Uint8Array(Buffer.from(config.payloadEncryptionKey, 'base64'))
    : secretOrDevFile(undefined, config.dataDir, 'payload-encryption-key');
}

export function stewardPayloadCodec(config: Config): AesGcmPayloadCodec {
  return new AesGcmPayloadCodec(payloadEncryptionKey(config));
}

/** The data converter of every Steward client and worker: JSON payloads, encrypted. */
export function stewardDataConverter(config: Config): DataConverter {
  return { payloadCodecs: [stewardPayloadCodec(config)] };
}
