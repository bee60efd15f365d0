import crypto from 'node:crypto';
import { GoogleCallbackError, googleRootKeysSchema, lengthValue, verifyGoogleCallback } from '../../src/domain/googleWalletCallback';
import { updatePassPayloadSchema, updatePassUserDetailsSchema } from '../../src/domain/passUpdates';
import { passCallbackId, walletTransition, WalletState } from '../../src/domain/walletStatus';
import { loadConfig } from '../../src/config';
import { FakeGoogleWallet } from '../helpers/googleWallet';

describe('lengthValue', () => {
  it('prefixes each field with its 4-byte little-endian length', () => {
    expect(lengthValue('Google', 'é').toString('hex')).toBe('06000000' + Buffer.from('Google').toString('hex') + '02000000c3a9');
  });
});

describe('verifyGoogleCallback', () => {
  const google = new FakeGoogleWallet('3388000000012345678');
  const rootKeys = googleRootKeysSchema.parse(JSON.parse(google.rootKeysJson()));
  const opts = { recipientId: google.issuerId, rootKeys, now: new Date() };
  const refusal = (body: unknown, o = opts) => {
    try {
      verifyGoogleCallback(body, o);
    } catch (err) {
      return err instanceof GoogleCallbackError ? { reason: err.reason, field: err.field } : err;
    }
    return 'accepted';
  };

  it('accepts a callback signed by the root-signed intermediate key and returns its message', () => {
    const m = verifyGoogleCallback(google.callback('110100000001', 'save', { nonce: 'n-1' }), opts);
    expect(m).toMatchObject({ objectId: `${google.issuerId}.110100000001`, eventType: 'save', nonce: 'n-1' });
  });

  it('refuses an intermediate key signed by another root', () => {
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(refusal(google.callback('1', 'save', { signingRoot: other.privateKey }))).toEqual({ reason: 'signature', field: 'body.intermediateSigningKey.signatures' });
  });

  it('refuses a message signed for another recipient, or altered after signing', () => {
    expect(refusal(google.callback('1', 'save', { recipientId: '999' }))).toEqual({ reason: 'signature', field: 'body.signature' });
    const body = google.callback('1', 'save');
    body.signedMessage = body.signedMessage.replace('"save"', '"del"');
    expect(refusal(body)).toEqual({ reason: 'signature', field: 'body.signature' });
  });

  it('refuses an expired intermediate key, an expired message and an expired root key', () => {
    expect(refusal(google.callback('1', 'save', { keyExpiration: Date.now() - 1000 }))).toEqual({ reason: 'expired', field: 'body.intermediateSigningKey.signedKey' });
    expect(refusal(google.callback('1', 'save', { expTimeMillis: Date.now() - 1000 }))).toEqual({ reason: 'expired', field: 'body.signedMessage.expTimeMillis' });
    const expiredRoots = googleRootKeysSchema.parse(JSON.parse(google.rootKeysJson(Date.now() - 1000)));
    expect(refusal(google.callback('1', 'save'), { ...opts, rootKeys: expiredRoots })).toEqual({ reason: 'signature', field: 'body.intermediateSigningKey.signatures' });
  });

  it('names the field of a malformed body', () => {
    expect(refusal({})).toEqual({ reason: 'malformed', field: 'body.signature' });
    expect(refusal({ ...google.callback('1', 'save'), protocolVersion: 'ECv1' })).toEqual({ reason: 'malformed', field: 'body.protocolVersion' });
  });
});

describe('GOOGLE_WALLET_ROOT_KEYS configuration', () => {
  it('is parsed, and a bad value names the variable', () => {
    const google = new FakeGoogleWallet('1');
    expect(loadConfig({ GOOGLE_WALLET_ROOT_KEYS: google.rootKeysJson() }).wallet.googleRootKeys?.keys).toHaveLength(1);
    expect(() => loadConfig({ GOOGLE_WALLET_ROOT_KEYS: '{"keys":' })).toThrow(/GOOGLE_WALLET_ROOT_KEYS: must be Google's keys JSON/);
    expect(() => loadConfig({ GOOGLE_WALLET_ISSUER_ID: 'abc' })).toThrow(/GOOGLE_WALLET_ISSUER_ID: must be the numeric/);
  });
});

describe('walletTransition', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  const fresh: WalletState = { is_redeemed: false, registered: false, is_removed: false };

  it('first install on Apple: Redeemed, registered', () => {
    expect(walletTransition(fresh, { kind: 'appleRegistered' }, now)).toEqual({
      deviceOS: 'Apple',
      status: 'Redeemed',
      changes: { is_redeemed: true, redeemed_timestamp: now, device_os: 'Apple', registered: true, registered_timestamp: now },
    });
  });

  it('Apple: another device while registered changes nothing; the last device leaving Deregisters; coming back Registers', () => {
    const registered = { ...fresh, is_redeemed: true, registered: true };
    expect(walletTransition(registered, { kind: 'appleRegistered' }, now).status).toBeNull();
    expect(walletTransition(registered, { kind: 'appleUnregistered', devicesLeft: 1 }, now).status).toBeNull();
    expect(walletTransition(registered, { kind: 'appleUnregistered', devicesLeft: 0 }, now)).toMatchObject({ status: 'Deregistered', changes: { registered: false } });
    expect(walletTransition({ ...registered, registered: false }, { kind: 'appleRegistered' }, now)).toMatchObject({ status: 'Registered', changes: { registered: true, registered_timestamp: now } });
    expect(walletTransition({ ...registered, registered: false }, { kind: 'appleUnregistered', devicesLeft: 0 }, now).status).toBeNull();
  });

  it('Google: first save Redeemed, delete Removed once, a re-save clears isRemoved without a callback', () => {
    expect(walletTransition(fresh, { kind: 'googleSaved' }, now)).toMatchObject({ deviceOS: 'Google', status: 'Redeemed', changes: { device_os: 'Google' } });
    const redeemed = { ...fresh, is_redeemed: true };
    expect(walletTransition(redeemed, { kind: 'googleSaved' }, now)).toEqual({ deviceOS: 'Google', status: null, changes: {} });
    expect(walletTransition(redeemed, { kind: 'googleDeleted' }, now)).toMatchObject({ status: 'Removed', changes: { is_removed: true, removed_timestamp: now } });
    const removed = { ...redeemed, is_removed: true };
    expect(walletTransition(removed, { kind: 'googleDeleted' }, now).status).toBeNull();
    expect(walletTransition(removed, { kind: 'googleSaved' }, now)).toEqual({ deviceOS: 'Google', status: null, changes: { is_removed: false } });
  });

  it('gives each event a deterministic callback ID', () => {
    expect(passCallbackId('p1', 'Redeemed', 1)).toBe('msg_pass_p1_Redeemed_1');
  });
});

describe('pass update inputs', () => {
  const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
    r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('payload: printable ASCII up to 64 bytes; empty removes it', () => {
    expect(updatePassPayloadSchema.parse({ serialNumber: '1', payload: 'abc123' }).payload).toBe('abc123');
    expect(updatePassPayloadSchema.parse({ serialNumber: '1', payload: '' }).payload).toBeNull();
    expect(issues(updatePassPayloadSchema.safeParse({ serialNumber: '1', payload: 'x'.repeat(65) }))).toEqual(['payload: must be at most 64 bytes']);
    expect(issues(updatePassPayloadSchema.safeParse({ serialNumber: '1', payload: 'café' }))).toEqual(['payload: must contain only printable ASCII characters']);
  });

  it('user details: omitted or null = unchanged, empty = clear, limits and duplicates', () => {
    expect(updatePassUserDetailsSchema.parse({ serialNumber: '1', beacons: null, locations: [] })).toEqual({ serialNumber: '1', locations: [] });
    expect(updatePassUserDetailsSchema.parse({ serialNumber: '1', dynamicFieldData: {} })).toEqual({ serialNumber: '1', dynamicFieldData: {} });
    expect(issues(updatePassUserDetailsSchema.safeParse({ serialNumber: '1' }))).toEqual([expect.stringMatching(/^: nothing to update/)]);
    expect(issues(updatePassUserDetailsSchema.safeParse({ serialNumber: '1', beacons: Array.from({ length: 11 }, (_, i) => `b${i}`) }))).toEqual(['beacons: at most 10 beacons per pass']);
    expect(issues(updatePassUserDetailsSchema.safeParse({ serialNumber: '1', locations: ['a', 'a'] }))).toEqual(['locations: lists a location more than once']);
    expect(issues(updatePassUserDetailsSchema.safeParse({ serialNumber: '1', dynamicFieldData: { a: 1 } }))).toEqual(['dynamicFieldData.a: must be a string']);
  });
});
