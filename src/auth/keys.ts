import { createRemoteJWKSet, importPKCS8, importSPKI, JWTVerifyGetKey } from 'jose';
import type { Config } from '../config';
import { secretOrDevFile } from '../secrets';

type Key = Awaited<ReturnType<typeof importSPKI>> | Uint8Array;

export interface JwtKeys {
  alg: 'HS256' | 'EdDSA';
  /** Key or key resolver used to verify incoming tokens. */
  verify: Key | JWTVerifyGetKey;
  /** Key used by the admin CLI and tests to mint tokens; absent when only a JWKS/public key is known. */
  sign?: Key;
}

export async function loadJwtKeys(config: Config): Promise<JwtKeys> {
  const { jwt } = config;
  if (jwt.jwksUrl) {
    return { alg: 'EdDSA', verify: createRemoteJWKSet(new URL(jwt.jwksUrl)) };
  }
  if (jwt.publicKeyPem) {
    const verify = await importSPKI(jwt.publicKeyPem, 'EdDSA');
    const sign = jwt.privateKeyPem ? await importPKCS8(jwt.privateKeyPem, 'EdDSA') : undefined;
    return { alg: 'EdDSA', verify, sign };
  }
  // HS256 keys are used as configured (a string); the dev fallback lives in the data folder.
  const secret = jwt.secret ? new TextEncoder().encode(jwt.secret) : secretOrDevFile(undefined, config.dataDir, 'jwt-secret');
  return { alg: 'HS256', verify: secret, sign: secret };
}

