import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

/**
 * Development stand-ins for the wallet credentials, generated once into `<data dir>/wallet-dev/`:
 * a local CA, an intermediate playing Apple's WWDR certificate, a pass signing certificate under it,
 * an APNs token key (ES256) and a Google service account key (RS256). A pass signed with them has
 * the real format and verifies against the local CA, but an iPhone refuses it (it trusts Apple's
 * CA only). Production never uses them (see apple/signing.ts and config).
 */
export interface DevWalletCredentials {
  dir: string;
  caCertPem: string;
  wwdrCertPem: string;
  passCertPem: string;
  passKeyPem: string;
  apnsKeyPem: string;
  apnsKeyId: string;
  googleServiceAccountJson: string;
}

const FILES = {
  caCertPem: 'apple-dev-ca.pem',
  wwdrCertPem: 'apple-dev-wwdr.pem',
  passCertPem: 'apple-pass-cert.pem',
  passKeyPem: 'apple-pass-key.pem',
  apnsKeyPem: 'apns-key.p8',
  apnsKeyId: 'apns-key-id',
  googleServiceAccountJson: 'google-service-account.json',
} as const;

function rsaKeys(): { forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  // node:crypto generates in native code (forge's pure-JS RSA generation takes seconds).
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

function certificate(opts: {
  subject: forge.pki.CertificateField[];
  issuer: { cert?: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey };
  publicKey: forge.pki.rsa.PublicKey;
  ca: boolean;
  years: number;
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = opts.publicKey;
  cert.serialNumber = '01' + crypto.randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + opts.years * 365 * 24 * 3600 * 1000);
  cert.setSubject(opts.subject);
  cert.setIssuer(opts.issuer.cert ? opts.issuer.cert.subject.attributes : opts.subject);
  cert.setExtensions(
    opts.ca
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
          { name: 'subjectKeyIdentifier' },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, critical: true },
          { name: 'subjectKeyIdentifier' },
        ],
  );
  cert.sign(opts.issuer.key, forge.md.sha256.create());
  return cert;
}

function generate(passTypeIdPrefix: string, teamId: string): Record<keyof typeof FILES, string> {
  const org = { name: 'organizationName', value: 'Steward Development' };
  const ca = rsaKeys();
  const caCert = certificate({
    subject: [{ name: 'commonName', value: 'Steward Development Pass CA' }, org],
    issuer: { key: ca.forgeKey },
    publicKey: ca.publicKey,
    ca: true,
    years: 20,
  });
  const wwdr = rsaKeys();
  const wwdrCert = certificate({
    subject: [{ name: 'commonName', value: 'Steward Development WWDR (stands in for Apple Worldwide Developer Relations)' }, { name: 'organizationalUnitName', value: 'G4' }, org],
    issuer: { cert: caCert, key: ca.forgeKey },
    publicKey: wwdr.publicKey,
    ca: true,
    years: 10,
  });
  const signer = rsaKeys();
  const passCert = certificate({
    // As Apple's pass type certificates: UID = pass type identifier, OU = team identifier.
    subject: [
      { type: '0.9.2342.19200300.100.1.1', value: passTypeIdPrefix },
      { name: 'commonName', value: `Pass Type ID: ${passTypeIdPrefix}` },
      { name: 'organizationalUnitName', value: teamId },
      org,
    ],
    issuer: { cert: wwdrCert, key: wwdr.forgeKey },
    publicKey: signer.publicKey,
    ca: false,
    years: 5,
  });
  const apns = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const google = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyId = crypto.randomBytes(20).toString('hex');
  const serviceAccount = {
    type: 'service_account',
    project_id: 'steward-development',
    private_key_id: keyId,
    private_key: google.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'steward-development@steward-development.iam.gserviceaccount.com',
    client_id: '100000000000000000000',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  return {
    caCertPem: forge.pki.certificateToPem(caCert),
    wwdrCertPem: forge.pki.certificateToPem(wwdrCert),
    passCertPem: forge.pki.certificateToPem(passCert),
    passKeyPem: signer.pem,
    apnsKeyPem: apns.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    apnsKeyId: crypto.randomBytes(5).toString('hex').toUpperCase(),
    googleServiceAccountJson: JSON.stringify(serviceAccount, null, 2),
  };
}

const cache = new Map<string, DevWalletCredentials>();

/**
 * The development credentials of this data folder, generated on first use. Generation writes a
 * temporary folder and renames it into place, so concurrent processes (API, worker, CLI) agree on
 * one set: the loser of the race reads the winner's.
 */
export function devWalletCredentials(dataDir: string, passTypeIdPrefix: string, teamId: string): DevWalletCredentials {
  const dir = path.join(dataDir, 'wallet-dev');
  const cached = cache.get(dir);
  if (cached) return cached;
  if (!fs.existsSync(path.join(dir, FILES.googleServiceAccountJson))) {
    fs.mkdirSync(dataDir, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(dataDir, '.wallet-dev-'));
    const material = generate(passTypeIdPrefix, teamId);
    for (const [k, file] of Object.entries(FILES)) fs.writeFileSync(path.join(tmp, file), material[k as keyof typeof FILES], { mode: 0o600 });
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const creds = { dir, ...Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, read(f)])) } as DevWalletCredentials;
  creds.apnsKeyId = creds.apnsKeyId.trim();
  cache.set(dir, creds);
  return creds;
}
