import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { appleSigning } from '../../src/wallet/apple/signing';
import { devWalletCredentials } from '../../src/wallet/devCredentials';
import { googleServiceAccount } from '../../src/wallet/google/serviceAccount';

/** Start-up checks of the wallet credentials: every bad configuration names its variable. */
describe('wallet signing configuration', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-wallet-unit-'));
  const dev = devWalletCredentials(dataDir, 'pass.io.steward', 'STEWARDDEV');
  const base = { STEWARD_DATA_DIR: dataDir, NODE_ENV: 'development' };
  const prod = { ...base, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), PASS_LINK_KEY: crypto.randomBytes(32).toString('base64'), PAYLOAD_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64') };
  const real = { APPLE_PASS_CERT: dev.passCertPem, APPLE_PASS_KEY: dev.passKeyPem, APPLE_WWDR_CERT: dev.wwdrCertPem, APPLE_TEAM_ID: 'ABCDE12345' };
  const failure = (env: Record<string, string>) => {
    try {
      appleSigning(loadConfig(env));
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('no error');
  };
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('development generates a local chain once; the same files serve every process', () => {
    const s = appleSigning(loadConfig(base));
    expect(s).toMatchObject({ teamId: 'STEWARDDEV', passCertPem: dev.passCertPem, devCaCertPem: dev.caCertPem });
    expect(devWalletCredentials(dataDir, 'pass.io.steward', 'STEWARDDEV')).toBe(dev);
    expect(fs.readdirSync(path.join(dataDir, 'wallet-dev')).sort()).toEqual(['apns-key-id', 'apns-key.p8', 'apple-dev-ca.pem', 'apple-dev-wwdr.pem', 'apple-pass-cert.pem', 'apple-pass-key.pem', 'google-service-account.json']);
  });

  it('production refuses pass serving without the real certificates, naming the variable', () => {
    expect(failure(prod)).toMatch(/APPLE_PASS_CERT: is required in production/);
    const { APPLE_TEAM_ID: _, ...withoutTeam } = real;
    expect(failure({ ...prod, ...withoutTeam })).toMatch(/APPLE_TEAM_ID: is required in production/);
    expect(appleSigning(loadConfig({ ...prod, ...real }))).toMatchObject({ teamId: 'ABCDE12345' });
  });

  it('a bad certificate, key, passphrase or WWDR certificate names its variable', () => {
    expect(failure({ ...base, ...real, APPLE_PASS_CERT: '-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----' })).toMatch(/APPLE_PASS_CERT: is not a PEM X.509/);
    expect(failure({ ...base, ...real, APPLE_PASS_CERT: '/nonexistent/cert.pem' })).toMatch(/APPLE_PASS_CERT: must be a PEM or the path of a readable file/);
    const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(failure({ ...base, ...real, APPLE_PASS_KEY: otherKey })).toMatch(/APPLE_PASS_KEY: does not belong to the certificate in APPLE_PASS_CERT/);
    expect(failure({ ...base, ...real, APPLE_WWDR_CERT: dev.caCertPem })).toMatch(/APPLE_WWDR_CERT: did not issue/);
    const encrypted = crypto.createPrivateKey(dev.passKeyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }).toString();
    expect(failure({ ...base, ...real, APPLE_PASS_KEY: encrypted, APPLE_PASS_KEY_PASSPHRASE: 'wrong' })).toMatch(/APPLE_PASS_KEY_PASSPHRASE: does not open APPLE_PASS_KEY/);
    expect(appleSigning(loadConfig({ ...base, ...real, APPLE_PASS_KEY: encrypted, APPLE_PASS_KEY_PASSPHRASE: 'right' }))).toMatchObject({ passKeyPassphrase: 'right' });
    expect(failure({ ...base, APPLE_PASS_CERT: dev.passCertPem })).toMatch(/APPLE_PASS_KEY: is required with APPLE_PASS_CERT/);
    expect(() => loadConfig({ ...base, APPLE_TEAM_ID: 'abc' })).toThrow(/APPLE_TEAM_ID: must be the 10-character Apple team identifier/);
  });

  it('a Google service account key is checked too; production without one offers no Google button', () => {
    expect(googleServiceAccount(loadConfig(prod))).toBeUndefined();
    const err = (env: Record<string, string>) => {
      try {
        googleServiceAccount(loadConfig(env));
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err({ ...base, GOOGLE_WALLET_SERVICE_ACCOUNT: '{"type":"service_account"}', GOOGLE_WALLET_ISSUER_ID: '3388000000022222222' })).toMatch(/GOOGLE_WALLET_SERVICE_ACCOUNT: must be a Google service account JSON key/);
    expect(err({ ...base, GOOGLE_WALLET_SERVICE_ACCOUNT: dev.googleServiceAccountJson })).toMatch(/GOOGLE_WALLET_ISSUER_ID: is required with GOOGLE_WALLET_SERVICE_ACCOUNT/);
    expect(googleServiceAccount(loadConfig({ ...base, GOOGLE_WALLET_SERVICE_ACCOUNT: dev.googleServiceAccountJson, GOOGLE_WALLET_ISSUER_ID: '3388000000022222222' }))).toMatchObject({ issuerId: '3388000000022222222', development: false });
  });
});
