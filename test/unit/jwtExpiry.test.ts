import { SignJWT } from 'jose';
import { loadJwtKeys } from '../../src/auth/keys';
import { verifyIssuerToken } from '../../src/auth/issuerTokens';
import { signUserToken, verifyUserToken } from '../../src/auth/tokens';
import { loadConfig } from '../../src/config';

/** Security finding 7: a token without `exp` never expires, so it must not be accepted. */
describe('JWTs must carry exp (finding 7)', () => {
  const secret = 'y'.repeat(40);
  const opts = { issuer: 'steward', audience: 'steward-api' };
  const keysP = loadJwtKeys(loadConfig({ JWT_SECRET: secret, STEWARD_DATA_DIR: '/tmp/steward-unit' }));
  const sign = (claims: Record<string, unknown>, exp?: string) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('steward').setAudience('steward-api').setIssuedAt();
    if (exp) jwt.setExpirationTime(exp);
    return jwt.sign(new TextEncoder().encode(secret));
  };

  it('an organisation user token without exp is refused, naming the claim', async () => {
    const claims = { org: 'acme', email: 'ops@acme.test', roles: ['Owner'] };
    const keys = await keysP;
    await expect(verifyUserToken(keys, await sign(claims, '1h'), opts)).resolves.toMatchObject({ org: 'acme' });
    await expect(verifyUserToken(keys, await sign(claims), opts)).rejects.toThrow('token claim "exp" is required');
  });

  it('an issuer access token without exp is refused', async () => {
    const claims = { token_use: 'client_credentials', issuer_id: 'BANK000001', client_id: 'c1' };
    const keys = await keysP;
    await expect(verifyIssuerToken(keys, await sign(claims, '1h'), opts)).resolves.toMatchObject({ issuerId: 'BANK000001' });
    await expect(verifyIssuerToken(keys, await sign(claims), opts)).rejects.toThrow(/invalid or expired/);
  });

  it('tokens Steward signs carry exp', async () => {
    const keys = await keysP;
    const token = await signUserToken(keys, { org: 'acme', email: 'ops@acme.test', roles: ['Owner'] }, opts);
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(typeof payload.exp).toBe('number');
  });
});
