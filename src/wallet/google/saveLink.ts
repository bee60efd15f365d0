import type { PassContent } from '../passContent';
import { googleClass, googleObject } from './objects';
import { GoogleServiceAccount, signAsServiceAccount } from './serviceAccount';

export const GOOGLE_SAVE_URL = 'https://pay.google.com/gp/v/save/';

/**
 * "Save to Google Wallet": `https://pay.google.com/gp/v/save/<JWT>`, the JWT signed RS256 by the
 * issuer's service account, carrying the design's class and the pass's object (Google creates them
 * when the user saves).
 */
export function googleSaveJwt(account: GoogleServiceAccount, content: PassContent, origins: string[], now = new Date()): string {
  return signAsServiceAccount(account, {
    iss: account.clientEmail,
    aud: 'google',
    typ: 'savetowallet',
    iat: Math.floor(now.getTime() / 1000),
    origins,
    payload: { genericClasses: [googleClass(account.issuerId, content)], genericObjects: [googleObject(account.issuerId, content)] },
  });
}

export function googleSaveLink(account: GoogleServiceAccount, content: PassContent, origins: string[], now = new Date()): string {
  return GOOGLE_SAVE_URL + googleSaveJwt(account, content, origins, now);
}
