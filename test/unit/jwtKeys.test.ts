import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { loadJwtKeys } from '../../src/auth/keys';
import { signUserToken, verifyUserToken } from '../../src/auth/tokens';
import { loadConfig } from '../../src/config';

const claims = { org: 'acme', email: 'ops@acme.test', roles: ['Owner' as const] };
const opts = { issuer: 'steward', audience: 'steward-api' };

describe('JWT keys from configuration', () => {
  it('EdDSA: verifies tokens signed with the configured private key, refuses HS256 ones', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const config = loadConfig({ JWT_PUBLIC_KEY: await exportSPKI(publicKey), JWT_PRIVATE_KEY: await exportPKCS8(privateKey), STEWARD_DATA_DIR: '/tmp/steward-unit' });
    const keys = await loadJwtKeys(config);
    expect(keys.alg).toBe('EdDSA');
    const token = await signUserToken(keys, claims, opts);
    await expect(verifyUserToken(keys, token, opts)).resolves.toEqual(claims);

    const hs = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuer('steward').setAudience('steward-api').setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(32)));
    await expect(verifyUserToken(keys, hs, opts)).rejects.toThrow('token algorithm is not allowed');
  });

  it('JWKS URL: verifies against the published keys; a token from another key is refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
      const keys = await loadJwtKeys(loadConfig({ JWT_JWKS_URL: url, STEWARD_DATA_DIR: '/tmp/steward-unit' }));
      const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer('steward').setAudience('steward-api').setExpirationTime('1h').sign(privateKey);
      await expect(verifyUserToken(keys, token, opts)).resolves.toEqual(claims);
      const other = await generateKeyPair('EdDSA');
      const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer('steward').setAudience('steward-api').setExpirationTime('1h').sign(other.privateKey);
      await expect(verifyUserToken(keys, forged, opts)).rejects.toThrow('token signature is invalid');
      await expect(signUserToken(keys, claims, opts)).rejects.toThrow(/no signing key is configured/);
    } finally {
      server.close();
    }
  });

  it('refuses two key sources at once, and production without one', () => {
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(32), JWT_JWKS_URL: 'http://127.0.0.1/jwks' })).toThrow('set only one of JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL');
    expect(() => loadConfig({ NODE_ENV: 'production', PASS_LINK_KEY: 'x'.repeat(44) })).toThrow(/production needs JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET: JWT_SECRET must be at least 32 characters/);
  });
});
