import crypto from 'node:crypto';
import forge from 'node-forge';
import type { AppleSigning } from './signing';

/**
 * The detached PKCS#7 (CMS SignedData) signature of a pass's manifest: SHA-1 digest, signed
 * attributes content-type, message-digest and signing-time (Wallet requires the time), the pass
 * type certificate and the WWDR intermediate included. node-forge builds the ASN.1; the RSA
 * operation is node:crypto's (native, ~100x faster than forge's JavaScript RSA), and the
 * certificates are parsed once per signer, not per pass.
 */
export interface ManifestSigner {
  sign(manifest: Buffer, at?: Date): Buffer;
}

// DER prefix of a SHA-1 DigestInfo: what RSASSA-PKCS1-v1_5 signs, before the 20-byte hash.
const SHA1_DIGEST_INFO = Buffer.from('3021300906052b0e03021a05000414', 'hex');

export function manifestSigner(signing: AppleSigning): ManifestSigner {
  const passCert = forge.pki.certificateFromPem(signing.passCertPem);
  const wwdrCert = forge.pki.certificateFromPem(signing.wwdrCertPem);
  const privateKey = crypto.createPrivateKey({ key: signing.passKeyPem, passphrase: signing.passKeyPassphrase });
  // forge asks its signer's key to sign the digest of the signed attributes: node:crypto does it.
  const key = {
    sign(md: forge.md.MessageDigest): string {
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      return crypto.privateEncrypt({ key: privateKey, padding: crypto.constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA1_DIGEST_INFO, digest])).toString('binary');
    },
  } as unknown as forge.pki.rsa.PrivateKey;
  return {
    sign(manifest, at = new Date()) {
      const p7 = forge.pkcs7.createSignedData();
      p7.content = forge.util.createBuffer(manifest.toString('binary'));
      p7.addCertificate(wwdrCert);
      p7.addCertificate(passCert);
      p7.addSigner({
        key,
        certificate: passCert,
        digestAlgorithm: forge.pki.oids.sha1,
        authenticatedAttributes: [
          { type: forge.pki.oids.contentType, value: forge.pki.oids.data },
          { type: forge.pki.oids.messageDigest },
          { type: forge.pki.oids.signingTime, value: at as unknown as string },
        ],
      });
      p7.sign({ detached: true });
      return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
    },
  };
}
