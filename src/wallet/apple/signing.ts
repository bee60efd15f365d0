import forge from 'node-forge';
import type { Config } from '../../config';
import { devWalletCredentials } from '../devCredentials';
import { configError, textOrFile } from '../pem';

/** What signs a .pkpass: the pass type certificate and key, and Apple's WWDR intermediate. */
export interface AppleSigning {
  teamId: string;
  passCertPem: string;
  passKeyPem: string;
  passKeyPassphrase?: string;
  wwdrCertPem: string;
  /** Development only: the local CA the dev certificates chain to (what `openssl smime -verify -CAfile` needs). */
  devCaCertPem?: string;
}

export const DEV_TEAM_ID = 'STEWARDDEV';
const REQUIRED = ['APPLE_PASS_CERT', 'APPLE_PASS_KEY', 'APPLE_WWDR_CERT', 'APPLE_TEAM_ID'] as const;

function parseCert(variable: string, pem: string): forge.pki.Certificate {
  try {
    return forge.pki.certificateFromPem(pem);
  } catch (err) {
    throw configError(variable, `is not a PEM X.509 RSA certificate (${(err as Error).message})`);
  }
}

/**
 * The configured signing material, checked (each certificate parses, the key opens with the
 * passphrase and belongs to the certificate, the WWDR certificate issued it); errors name the
 * variable. Without any of it, development generates a local chain and production refuses.
 */
export function appleSigning(config: Config): AppleSigning {
  const a = config.wallet.apple;
  const given = { APPLE_PASS_CERT: a.passCert, APPLE_PASS_KEY: a.passKey, APPLE_WWDR_CERT: a.wwdrCert, APPLE_TEAM_ID: a.teamId };
  const missing = REQUIRED.filter((v) => !given[v]);
  if (missing.length === REQUIRED.length && config.env !== 'production') {
    const dev = devWalletCredentials(config.dataDir, config.wallet.applePassTypeIdPrefix, DEV_TEAM_ID);
    return { teamId: DEV_TEAM_ID, passCertPem: dev.passCertPem, passKeyPem: dev.passKeyPem, wwdrCertPem: dev.wwdrCertPem, devCaCertPem: dev.caCertPem };
  }
  if (missing.length) {
    const why = config.env === 'production' ? 'is required in production to serve Apple Wallet passes' : `is required with ${REQUIRED.filter((v) => given[v]).join(', ')}`;
    throw configError(missing[0], `${why} (${REQUIRED.join(', ')}; APPLE_PASS_KEY_PASSPHRASE when the key is encrypted)`);
  }
  const passCertPem = textOrFile('APPLE_PASS_CERT', a.passCert!, 'PEM');
  const passKeyPem = textOrFile('APPLE_PASS_KEY', a.passKey!, 'PEM');
  const wwdrCertPem = textOrFile('APPLE_WWDR_CERT', a.wwdrCert!, 'PEM');
  const cert = parseCert('APPLE_PASS_CERT', passCertPem);
  const wwdr = parseCert('APPLE_WWDR_CERT', wwdrCertPem);
  let key: forge.pki.rsa.PrivateKey | null;
  try {
    key = forge.pki.decryptRsaPrivateKey(passKeyPem, a.passKeyPassphrase ?? '') as forge.pki.rsa.PrivateKey | null;
  } catch (err) {
    throw configError('APPLE_PASS_KEY', `is not a PEM RSA private key (${(err as Error).message})`);
  }
  if (!key) {
    throw /ENCRYPTED/.test(passKeyPem)
      ? configError('APPLE_PASS_KEY_PASSPHRASE', 'does not open APPLE_PASS_KEY')
      : configError('APPLE_PASS_KEY', 'is not a PEM RSA private key');
  }
  const certKey = cert.publicKey as forge.pki.rsa.PublicKey;
  if (!certKey.n || certKey.n.compareTo(key.n) !== 0) throw configError('APPLE_PASS_KEY', 'does not belong to the certificate in APPLE_PASS_CERT');
  let issued = false;
  try {
    issued = wwdr.verify(cert);
  } catch {
    // forge throws when the issuer name differs
  }
  if (!issued) throw configError('APPLE_WWDR_CERT', 'did not issue the certificate in APPLE_PASS_CERT (give Apple\'s WWDR intermediate, e.g. G4)');
  return { teamId: a.teamId!, passCertPem, passKeyPem, passKeyPassphrase: a.passKeyPassphrase, wwdrCertPem };
}
