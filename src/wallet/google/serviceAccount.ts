import crypto from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../config';
import { devWalletCredentials } from '../devCredentials';
import { DEV_TEAM_ID } from '../apple/signing';
import { signJwt } from '../jwt';
import { configError, textOrFile } from '../pem';

/** The fields of a Google service account JSON key that Steward uses. */
const keySchema = z.object({
  type: z.literal('service_account', { error: 'type must be "service_account"' }),
  client_email: z.string().email('client_email must be the service account\'s e-mail'),
  private_key: z.string().startsWith('-----BEGIN', 'private_key must be a PEM private key'),
  private_key_id: z.string().min(1).optional(),
  token_uri: z.string().url().optional(),
});

export interface GoogleServiceAccount {
  clientEmail: string;
  privateKey: crypto.KeyObject;
  keyId?: string;
  tokenUri: string;
  issuerId: string;
  /** True for the generated development key: Google would refuse what it signs. */
  development: boolean;
}

/** Development stand-in for GOOGLE_WALLET_ISSUER_ID: object IDs still have the real shape. */
export const DEV_GOOGLE_ISSUER_ID = '3388000000000000000';

/**
 * The issuer's service account (GOOGLE_WALLET_SERVICE_ACCOUNT, the JSON key or its path) and issuer
 * ID, checked with errors naming the variable; development generates a key when neither is set.
 * Undefined in production without them: Steward then offers no Google Wallet button.
 */
export function googleServiceAccount(config: Config): GoogleServiceAccount | undefined {
  const { serviceAccount } = config.wallet.google;
  const issuerId = config.wallet.googleIssuerId;
  if (!serviceAccount) {
    if (config.env === 'production') return undefined;
    const dev = devWalletCredentials(config.dataDir, config.wallet.applePassTypeIdPrefix, DEV_TEAM_ID);
    return { ...parse(dev.googleServiceAccountJson), issuerId: issuerId ?? DEV_GOOGLE_ISSUER_ID, development: true };
  }
  if (!issuerId) throw configError('GOOGLE_WALLET_ISSUER_ID', 'is required with GOOGLE_WALLET_SERVICE_ACCOUNT (object IDs are <issuerId>.<serialNumber>)');
  return { ...parse(textOrFile('GOOGLE_WALLET_SERVICE_ACCOUNT', serviceAccount, 'JSON')), issuerId, development: false };
}

function parse(json: string): Omit<GoogleServiceAccount, 'issuerId' | 'development'> {
  let key;
  try {
    key = keySchema.parse(JSON.parse(json));
  } catch (err) {
    const detail = err instanceof z.ZodError ? err.issues.map((i) => i.message).join('; ') : (err as Error).message;
    throw configError('GOOGLE_WALLET_SERVICE_ACCOUNT', `must be a Google service account JSON key: ${detail}`);
  }
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(key.private_key);
  } catch (err) {
    throw configError('GOOGLE_WALLET_SERVICE_ACCOUNT', `private_key does not open (${(err as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw configError('GOOGLE_WALLET_SERVICE_ACCOUNT', 'private_key must be an RSA key (RS256)');
  return { clientEmail: key.client_email, privateKey, keyId: key.private_key_id, tokenUri: key.token_uri ?? 'https://oauth2.googleapis.com/token' };
}

/** A JWT signed by the service account (save links, OAuth assertions). */
export function signAsServiceAccount(account: GoogleServiceAccount, claims: Record<string, unknown>): string {
  return signJwt(account.privateKey, 'RS256', claims, account.keyId ? { kid: account.keyId } : {});
}
