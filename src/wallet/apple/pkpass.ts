import { PKPass } from 'passkit-generator';
import type { Config } from '../../config';
import { applePassTypeIdentifier } from '../../services/appleWallet';
import type { PassContent } from '../passContent';
import { buildPassJson } from './passJson';
import type { AppleSigning } from './signing';

export const PKPASS_CONTENT_TYPE = 'application/vnd.apple.pkpass';

/**
 * A signed .pkpass: a zip of pass.json and the images, `manifest.json` with each file's SHA-1, and
 * `signature`, a detached PKCS#7 signature of the manifest by the pass type certificate with the
 * WWDR intermediate included (passkit-generator does the zip and the PKCS#7 over node-forge).
 */
export function buildPkpass(config: Config, signing: AppleSigning, content: PassContent, images: Record<string, Buffer>): Buffer {
  const passJson = buildPassJson(content, {
    passTypeIdentifier: applePassTypeIdentifier(config, content.organisationId),
    teamIdentifier: signing.teamId,
    webServiceURL: config.publicBaseUrl,
  });
  const pass = new PKPass(
    { ...images, 'pass.json': Buffer.from(JSON.stringify(passJson)) },
    { wwdr: signing.wwdrCertPem, signerCert: signing.passCertPem, signerKey: signing.passKeyPem, signerKeyPassphrase: signing.passKeyPassphrase },
  );
  return pass.getAsBuffer();
}
