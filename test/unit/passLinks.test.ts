import crypto from 'node:crypto';
import { compactDecrypt } from 'jose';
import { loadConfig } from '../../src/config';
import { PassLinks } from '../../src/services/passLinks';

describe('PassLinks', () => {
  const key = crypto.randomBytes(32);
  const links = new PassLinks(loadConfig({ PASS_LINK_KEY: key.toString('base64'), STEWARD_DATA_DIR: '/tmp/steward-unit' }));

  it('makes a standard compact JWE that jose decrypts', async () => {
    const apiKey = links.apiKey({ serialNumber: '110100000001', organisationId: 'acme' });
    expect(apiKey.split('.')).toHaveLength(5);
    const { plaintext, protectedHeader } = await compactDecrypt(apiKey, key);
    expect(protectedHeader).toEqual({ alg: 'dir', enc: 'A256GCM' });
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({ s: '110100000001', o: 'acme' });
    await expect(links.open(apiKey)).resolves.toEqual({ serialNumber: '110100000001', organisationId: 'acme' });
  });

  it('refuses a tampered key with a clear error', async () => {
    const parts = links.apiKey({ serialNumber: '1', organisationId: 'a' }).split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    await expect(links.open(parts.join('.'))).rejects.toThrow('input.encryptedDetails: the encrypted pass details are invalid or have been tampered with');
  });

  it('gives every key its own IV, across refills of the IV draw, and each still opens', async () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => links.apiKey({ serialNumber: String(i), organisationId: 'acme' }));
    expect(new Set(keys.map((k) => k.split('.')[2])).size).toBe(keys.length);
    for (const i of [0, 4095, 4096, 9999]) await expect(links.open(keys[i])).resolves.toEqual({ serialNumber: String(i), organisationId: 'acme' });
  });
});
