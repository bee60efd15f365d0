import crypto from 'node:crypto';
import type { Config } from '../../config';
import { applePassTypeIdentifier } from '../../services/appleWallet';
import type { PassContent } from '../passContent';
import { buildPassJson } from './passJson';
import type { ManifestSigner } from './pkcs7';
import type { AppleSigning } from './signing';
import { storedZip } from './zip';

export const PKPASS_CONTENT_TYPE = 'application/vnd.apple.pkpass';

/**
 * A signed .pkpass: a zip of pass.json and the images, `manifest.json` with each file's SHA-1, and
 * `signature`, a detached PKCS#7 signature of the manifest by the pass type certificate with the
 * WWDR intermediate included (apple/pkcs7.ts).
 */
export function buildPkpass(config: Config, signing: AppleSigning, signer: ManifestSigner, content: PassContent, images: Record<string, Buffer>): Promise<Buffer> {
  const passJson = buildPassJson(content, {
    passTypeIdentifier: applePassTypeIdentifier(config, content.organisationId),
    teamIdentifier: signing.teamId,
    webServiceURL: config.publicBaseUrl,
  });
  const files: Record<string, Buffer> = { 'pass.json': Buffer.from(JSON.stringify(passJson)), ...images };
  const manifest = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(files).map(([name, data]) => [name, crypto.createHash('sha1').update(data).digest('hex')]))));
  return storedZip({ ...files, 'manifest.json': manifest, signature: signer.sign(manifest) });
}
