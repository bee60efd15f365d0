import type { Config } from '../config';
import type { Db } from '../db/knex';
import { applePassTypeIdentifier } from '../services/appleWallet';
import { designImageFiles } from './apple/images';
import { buildPkpass } from './apple/pkpass';
import { ManifestSigner, manifestSigner } from './apple/pkcs7';
import { AppleSigning, appleSigning } from './apple/signing';
import { googleSaveLink } from './google/saveLink';
import { GoogleServiceAccount, googleServiceAccount } from './google/serviceAccount';
import { loadPassContent, PassContent } from './passContent';

/**
 * The wallet files of passes, for the download link and the PassKit web service: built fresh from
 * the pass's current data at each request (a pass changes; its file follows). Constructed once per
 * API process: it checks the signing configuration at start-up, so a bad certificate or key stops
 * the API with a message naming the variable.
 */
export class WalletPasses {
  readonly apple: AppleSigning;
  readonly google: GoogleServiceAccount | undefined;
  private readonly signer: ManifestSigner;

  constructor(
    private readonly config: Config,
    private readonly db: Db,
  ) {
    this.apple = appleSigning(config);
    this.signer = manifestSigner(this.apple);
    this.google = googleServiceAccount(config);
  }

  content(serialNumber: string): Promise<PassContent | undefined> {
    return loadPassContent(this.db, serialNumber);
  }

  passTypeIdentifier(content: PassContent): string {
    return applePassTypeIdentifier(this.config, content.organisationId);
  }

  async pkpass(content: PassContent): Promise<Buffer> {
    return buildPkpass(this.config, this.apple, this.signer, content, await designImageFiles(this.db, content.designId));
  }

  /** The save link; records that a Google object for the pass may now exist, so its changes are pushed to Google. */
  async googleSaveLink(content: PassContent): Promise<string | null> {
    if (!this.google) return null;
    await this.db('passes').where({ id: content.passId, google_object_issued: false }).update({ google_object_issued: true });
    return googleSaveLink(this.google, content, [new URL(this.config.publicBaseUrl).origin]);
  }
}
