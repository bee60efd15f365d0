import crypto from 'node:crypto';
import { AesGcmPayloadCodec } from '../../src/temporal/codec';
import { loadConfig, ConfigError } from '../../src/config';

const json = (v: unknown) => ({ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode(JSON.stringify(v)) });
const text = (b?: Uint8Array | null) => Buffer.from(b ?? []).toString('utf8');

describe('AES-256-GCM payload codec', () => {
  const codec = new AesGcmPayloadCodec(crypto.randomBytes(32));

  it('round-trips payloads and hides their content and metadata', async () => {
    const [sealed] = await codec.encode([json({ passId: 'p-1', secret: 'Jane Doe' })]);
    expect(text(sealed.metadata!.encoding)).toBe('binary/encrypted');
    expect(text(sealed.metadata!['encryption-key-id'])).toBe(codec.keyId);
    expect(text(sealed.data)).not.toContain('Jane');
    expect(text(sealed.data)).not.toContain('json/plain');
    const [back] = await codec.decode([sealed]);
    expect(text(back.metadata!.encoding)).toBe('json/plain');
    expect(JSON.parse(text(back.data))).toEqual({ passId: 'p-1', secret: 'Jane Doe' });
  });

  it('uses a fresh IV per payload', async () => {
    const [a, b] = await codec.encode([json('x'), json('x')]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  it('passes through payloads it did not encrypt, refuses tampered ones and other keys', async () => {
    const plain = json({ a: 1 });
    expect(await codec.decode([plain])).toEqual([plain]);
    const [sealed] = await codec.encode([json({ a: 1 })]);
    const tampered = { ...sealed, data: Uint8Array.from(sealed.data!, (x, i) => (i === 20 ? x ^ 1 : x)) };
    await expect(codec.decode([tampered])).rejects.toThrow();
    const other = new AesGcmPayloadCodec(crypto.randomBytes(32));
    await expect(other.decode([sealed])).rejects.toThrow(/encrypted with key/);
  });

  it('takes its key from PAYLOAD_ENCRYPTION_KEY, which must be 32 bytes, and requires it in production', () => {
    expect(() => loadConfig({ PAYLOAD_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') })).toThrow(/PAYLOAD_ENCRYPTION_KEY: must be base64 of 32 bytes/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PASS_LINK_KEY: crypto.randomBytes(32).toString('base64') })).toThrow(ConfigError);
    expect(loadConfig({ PAYLOAD_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64') }).payloadEncryptionKey).toBeDefined();
  });
});

describe('FORGET_GRACE_PERIOD', () => {
  it('defaults to 24 hours, takes durations, and refuses more than 3 days', () => {
    expect(loadConfig({}).forgetGracePeriodMs).toBe(86_400_000);
    expect(loadConfig({ FORGET_GRACE_PERIOD: '90s' }).forgetGracePeriodMs).toBe(90_000);
    expect(loadConfig({ FORGET_GRACE_PERIOD: '3d' }).forgetGracePeriodMs).toBe(3 * 86_400_000);
    expect(() => loadConfig({ FORGET_GRACE_PERIOD: '73h' })).toThrow(/FORGET_GRACE_PERIOD: must be at most 3 days/);
    expect(() => loadConfig({ FORGET_GRACE_PERIOD: 'tomorrow' })).toThrow(/FORGET_GRACE_PERIOD: must be a duration/);
  });
});
