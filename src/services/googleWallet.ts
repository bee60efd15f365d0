import type { Deps } from '../deps';
import { GoogleCallbackError, verifyGoogleCallback } from '../domain/googleWalletCallback';
import type { PassStatus } from '../domain/walletStatus';
import { DomainError } from './errors';
import { applyWalletEvent, dispatchPassCallbacks, lockWalletPass } from './walletEvents';

export interface GoogleCallbackOutcome {
  serialNumber: string;
  eventType: 'save' | 'del';
  /** False for a nonce seen before: Google re-delivered it, nothing was changed again. */
  applied: boolean;
  status: PassStatus | null;
}

/**
 * A Google Wallet save/delete callback: verified (see domain/googleWalletCallback), deduplicated by
 * nonce, then applied to the pass whose object ID is `<issuerId>.<serialNumber>`. `save` reports
 * `Redeemed` the first time; `del` reports `Removed`. A refused callback changes nothing.
 */
export async function handleGoogleCallback(deps: Deps, body: unknown, now = new Date()): Promise<GoogleCallbackOutcome> {
  const { googleIssuerId, googleRootKeys } = deps.config.wallet;
  if (!googleIssuerId || !googleRootKeys) {
    throw new DomainError('FORBIDDEN', 'Google Wallet callbacks are not configured here (GOOGLE_WALLET_ISSUER_ID and GOOGLE_WALLET_ROOT_KEYS)');
  }
  let message;
  try {
    message = verifyGoogleCallback(body, { recipientId: googleIssuerId, rootKeys: googleRootKeys, now });
  } catch (err) {
    if (!(err instanceof GoogleCallbackError)) throw err;
    throw new DomainError(err.reason === 'malformed' ? 'BAD_USER_INPUT' : 'UNAUTHENTICATED', err.rule, err.field);
  }
  const prefix = `${googleIssuerId}.`;
  const serialNumber = message.objectId.startsWith(prefix) ? message.objectId.slice(prefix.length) : '';
  const unknown = () => new DomainError('NOT_FOUND', `no pass for object ${message.objectId} (expected ${prefix}<serialNumber>)`, 'body.signedMessage.objectId');
  if (!serialNumber) throw unknown();

  const outcome = await deps.db.transaction(async (trx) => {
    const pass = await lockWalletPass(trx, serialNumber);
    if (!pass) throw unknown();
    const fresh = await trx('google_wallet_nonces').insert({ nonce: message.nonce }).onConflict('nonce').ignore().returning('nonce');
    if (!fresh.length) return { passId: pass.id, applied: false, status: null };
    const status = await applyWalletEvent(trx, pass, { kind: message.eventType === 'save' ? 'googleSaved' : 'googleDeleted' }, now);
    return { passId: pass.id, applied: true, status };
  });
  await dispatchPassCallbacks(deps, outcome.passId);
  return { serialNumber, eventType: message.eventType, applied: outcome.applied, status: outcome.status };
}
