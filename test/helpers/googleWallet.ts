import crypto from 'node:crypto';
import { GOOGLE_PROTOCOL, GOOGLE_SENDER_ID, lengthValue } from '../../src/domain/googleWalletCallback';

/**
 * Stands in for Google: its own root key (published as GOOGLE_WALLET_ROOT_KEYS) and an intermediate
 * signing key, signing save/delete callbacks exactly as Google Wallet does (ECv2SigningOnly).
 */
export class FakeGoogleWallet {
  readonly root = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  readonly intermediate = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  constructor(readonly issuerId: string) {}

  static spki(key: crypto.KeyObject): string {
    return key.export({ format: 'der', type: 'spki' }).toString('base64');
  }

  /** The keys document to configure (Google's https://pay.google.com/gp/m/issuer/keys format). */
  rootKeysJson(keyExpiration = Date.now() + 365 * 86_400_000): string {
    return JSON.stringify({ keys: [{ keyValue: FakeGoogleWallet.spki(this.root.publicKey), protocolVersion: GOOGLE_PROTOCOL, keyExpiration: String(keyExpiration) }] });
  }

  static sign(key: crypto.KeyObject, data: Buffer): string {
    return crypto.sign('sha256', data, { key, dsaEncoding: 'der' }).toString('base64');
  }

  /** A callback body for `eventType` on pass `serialNumber`; `opts` can break it in specific ways. */
  callback(
    serialNumber: string,
    eventType: 'save' | 'del',
    opts: { nonce?: string; expTimeMillis?: number; keyExpiration?: number; recipientId?: string; signingRoot?: crypto.KeyObject; objectId?: string } = {},
  ) {
    const signedKey = JSON.stringify({ keyValue: FakeGoogleWallet.spki(this.intermediate.publicKey), keyExpiration: String(opts.keyExpiration ?? Date.now() + 86_400_000) });
    const signedMessage = JSON.stringify({
      classId: `${this.issuerId}.gym-membership`,
      objectId: opts.objectId ?? `${this.issuerId}.${serialNumber}`,
      expTimeMillis: opts.expTimeMillis ?? Date.now() + 60_000,
      eventType,
      nonce: opts.nonce ?? crypto.randomUUID(),
    });
    return {
      signature: FakeGoogleWallet.sign(this.intermediate.privateKey, lengthValue(GOOGLE_SENDER_ID, opts.recipientId ?? this.issuerId, GOOGLE_PROTOCOL, signedMessage)),
      intermediateSigningKey: {
        signedKey,
        signatures: [FakeGoogleWallet.sign(opts.signingRoot ?? this.root.privateKey, lengthValue('Google', GOOGLE_PROTOCOL, signedKey))],
      },
      protocolVersion: GOOGLE_PROTOCOL,
      signedMessage,
    };
  }
}
