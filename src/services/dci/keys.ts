import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config';
import type { RegistryKey } from '../../domain/dci/registries';

/**
 * Steward's own DCI keys: an Ed25519 key signing every message it sends, and an X25519 key that
 * senders encrypt messages to. Both public keys are published at /.well-known/jwks.json.
 * Configured as PKCS#8 PEM or private JWK; in development generated once into the data folder.
 */
export interface DciKeys {
  signing: { privateKey: crypto.KeyObject; publicJwk: crypto.JsonWebKey; kid: string };
  encryption: { privateKey: crypto.KeyObject; publicJwk: crypto.JsonWebKey; kid: string };
  registryIds: Record<RegistryKey, string>;
}

export class DciKeyError extends Error {}

const cache = new Map<string, DciKeys>();

export function dciKeys(config: Config): DciKeys {
  const cacheKey = JSON.stringify([config.dataDir, config.dci]);
  let keys = cache.get(cacheKey);
  if (!keys) {
    keys = {
      signing: loadKey(config, config.dci.signingKey, 'ed25519', 'dci-signing-key.pem', 'DCI_SIGNING_KEY'),
      encryption: loadKey(config, config.dci.encryptionKey, 'x25519', 'dci-encryption-key.pem', 'DCI_ENCRYPTION_KEY'),
      registryIds: config.dci.registryIds,
    };
    cache.set(cacheKey, keys);
  }
  return keys;
}

function loadKey(config: Config, configured: string | undefined, type: 'ed25519' | 'x25519', file: string, variable: string) {
  let privateKey: crypto.KeyObject;
  if (configured) {
    privateKey = parsePrivateKey(configured, variable);
  } else {
    if (config.env === 'production') throw new DciKeyError(`${variable} is required in production`);
    privateKey = parsePrivateKey(devKeyPem(config.dataDir, file, type), variable);
  }
  if (privateKey.asymmetricKeyType !== type) throw new DciKeyError(`${variable} must be an ${type} private key (got ${privateKey.asymmetricKeyType})`);
  const publicJwk = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
  return { privateKey, publicJwk, kid: jwkThumbprint(publicJwk) };
}

export function parsePrivateKey(text: string, what: string): crypto.KeyObject {
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) return crypto.createPrivateKey({ key: JSON.parse(trimmed), format: 'jwk' });
    return crypto.createPrivateKey(trimmed);
  } catch (err) {
    throw new DciKeyError(`${what}: not a PKCS#8 PEM or private JWK (${(err as Error).message})`);
  }
}

function devKeyPem(dataDir: string, file: string, type: 'ed25519' | 'x25519'): string {
  const full = path.join(dataDir, file);
  if (!fs.existsSync(full)) {
    fs.mkdirSync(dataDir, { recursive: true });
    const { privateKey } = crypto.generateKeyPairSync(type as 'ed25519');
    try {
      fs.writeFileSync(full, privateKey.export({ format: 'pem', type: 'pkcs8' }), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process wrote it first
    }
  }
  return fs.readFileSync(full, 'utf8');
}

/** RFC 7638 thumbprint of an OKP/EC/RSA public JWK: a stable key ID. */
export function jwkThumbprint(jwk: crypto.JsonWebKey): string {
  const members: Record<string, string[]> = { OKP: ['crv', 'kty', 'x'], EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'] };
  const names = members[jwk.kty as string];
  if (!names) throw new DciKeyError(`unsupported key type ${jwk.kty}`);
  const json = JSON.stringify(Object.fromEntries(names.map((n) => [n, (jwk as Record<string, unknown>)[n]])));
  return crypto.createHash('sha256').update(json).digest('base64url');
}

/** The JWKS document: the signing key (use "sig") and the encryption key (use "enc"). */
export function publicJwks(keys: DciKeys) {
  return {
    keys: [
      { ...keys.signing.publicJwk, kid: keys.signing.kid, use: 'sig', alg: 'EdDSA' },
      { ...keys.encryption.publicJwk, kid: keys.encryption.kid, use: 'enc', alg: 'ECDH-ES+A256KW' },
    ],
  };
}
