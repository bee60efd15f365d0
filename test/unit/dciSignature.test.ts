import crypto from 'node:crypto';
import { canonicalJson, envelopeDigest, signEnvelope, signingString, verifyEnvelope } from '../../src/services/dci/signature';

describe('DCI message signatures', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const lookup = async (sender: string, keyId: string) => (sender === 'spmis.example.org' ? (keyId === 'k1' ? publicKey : undefined) : ('unknown-sender' as const));
  const header = { message_id: '1', message_ts: '2025-01-01T00:00:00Z', action: 'search', sender_id: 'spmis.example.org', total_count: 1 };
  const message = { transaction_id: 't1', search_request: [{ reference_id: 'r1', b: 2, a: 1 }] };
  const signer = { privateKey, kidId: 'spmis.example.org|k1|ed25519' };

  it('canonicalises JSON with sorted keys at every level and no whitespace', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 'x' }], a: null, u: undefined })).toBe('{"a":null,"b":[{"c":"x","d":1}]}');
  });

  it('signs "(created): C\\n(expires): E\\ndigest: D" with Ed25519 and verifies it', async () => {
    const now = Date.UTC(2025, 0, 1);
    const signature = signEnvelope(header, message, signer, now);
    const created = now / 1000;
    expect(signature).toBe(
      `Signature: namespace="spdci", kidId="spmis.example.org|k1|ed25519", algorithm="ed25519", created="${created}", expires="${created + 300}", headers="(created) (expires) digest", signature="${/signature="([^"]+)"$/.exec(signature)![1]}"`,
    );
    const sig = Buffer.from(/signature="([^"]+)"$/.exec(signature)![1], 'base64');
    const digest = crypto.createHash('sha256').update(canonicalJson({ header, message })).digest('base64');
    expect(envelopeDigest(header, message)).toBe(digest);
    expect(crypto.verify(null, Buffer.from(signingString(created, created + 300, digest)), publicKey, sig)).toBe(true);
    // Key order of the JSON as sent does not matter.
    const reordered = { message: { search_request: [{ a: 1, b: 2, reference_id: 'r1' }], transaction_id: 't1' }, header: { ...header } };
    expect(await verifyEnvelope({ signature, ...reordered }, lookup, now + 1000)).toEqual({ ok: true, keyId: 'k1' });
  });

  it('rejects missing, malformed, tampered, expired, future and unknown-key signatures', async () => {
    const now = Date.now();
    const signature = signEnvelope(header, message, signer, now);
    const check = (env: object, at = now) => verifyEnvelope(env as never, lookup, at);
    expect(await check({ header, message })).toMatchObject({ ok: false, code: 'err.signature.missing' });
    expect(await check({ signature: 'garbage', header, message })).toMatchObject({ ok: false, code: 'err.signature.invalid' });
    expect(await check({ signature, header, message: { ...message, transaction_id: 't2' } })).toMatchObject({ ok: false, code: 'err.signature.invalid', message: /does not match/ });
    expect(await check({ signature, header, message }, now + 301_000)).toMatchObject({ ok: false, code: 'err.signature.invalid', message: /expired/ });
    expect(await check({ signature: signEnvelope(header, message, signer, now + 120_000), header, message })).toMatchObject({ ok: false, message: /future/ });
    expect(await check({ signature: signEnvelope(header, message, { privateKey, kidId: 'spmis.example.org|k9|ed25519' }), header, message })).toMatchObject({ ok: false, message: /no active signing key "k9"/ });
    expect(await check({ signature: signEnvelope(header, message, { privateKey, kidId: 'other.org|k1|ed25519' }), header, message })).toMatchObject({ ok: false, message: /kidId must be/ });
    const stranger = { ...header, sender_id: 'stranger.org' };
    expect(await check({ signature: signEnvelope(stranger, message, { privateKey, kidId: 'stranger.org|k1|ed25519' }), header: stranger, message })).toMatchObject({ ok: false, code: 'err.sender_id.invalid' });
    const other = crypto.generateKeyPairSync('ed25519').privateKey;
    expect(await check({ signature: signEnvelope(header, message, { privateKey: other, kidId: signer.kidId }), header, message })).toMatchObject({ ok: false, message: /does not match/ });
  });
});
