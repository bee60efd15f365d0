import crypto from 'node:crypto';
import type { Config } from '../config';
import type { Deps } from '../deps';
import { DomainError } from './errors';
import { applyWalletEvent, dispatchPassCallbacks, lockWalletPass, WalletPass } from './walletEvents';
import type { Knex } from 'knex';

/**
 * Apple's PassKit web service ("Wallet Passes web service"): devices register for updates of a
 * pass, unregister, ask which of their passes changed, and send logs. Each organisation's passes
 * carry the pass type identifier `<APPLE_PASS_TYPE_ID_PREFIX>.<organisation id>`; serial numbers are
 * unique platform-wide, so the pair names one pass of one organisation.
 */
export function applePassTypeIdentifier(config: Config, organisationId: string): string {
  return `${config.wallet.applePassTypeIdPrefix}.${organisationId}`;
}

export interface ApplePassRef {
  deviceLibraryIdentifier: string;
  passTypeIdentifier: string;
  serialNumber: string;
  /** The request's Authorization header: `ApplePass <authenticationToken>`. */
  authorization: string | undefined;
}

const unauthorised = () => new DomainError('UNAUTHENTICATED', 'requires "Authorization: ApplePass <authenticationToken>" of this pass and its pass type identifier', 'headers.authorization');

export function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * The pass, locked, when the request proves it holds the pass's authentication token. An unknown
 * serial, another pass type identifier and a wrong token all answer the same 401, so the web
 * service never tells which serial numbers exist.
 */
async function authorisedPass(trx: Knex.Transaction, config: Config, ref: ApplePassRef): Promise<WalletPass> {
  const token = /^ApplePass (\S+)$/.exec(ref.authorization ?? '')?.[1];
  if (!token) throw unauthorised();
  const pass = await lockWalletPass(trx, ref.serialNumber);
  if (!pass || applePassTypeIdentifier(config, pass.organisation_id) !== ref.passTypeIdentifier || !sameSecret(token, pass.authentication_token)) {
    throw unauthorised();
  }
  return pass;
}

/**
 * Registers a device for a pass's updates. `created` is false when this device was already
 * registered (Apple: 200 instead of 201); its push token is refreshed. The first registration of a
 * pass ever reports `Redeemed`; the first after every device unregistered reports `Registered`.
 */
export async function registerAppleDevice(deps: Deps, ref: ApplePassRef, pushToken: string): Promise<{ created: boolean }> {
  const { created, passId } = await deps.db.transaction(async (trx) => {
    const pass = await authorisedPass(trx, deps.config, ref);
    const where = { device_library_identifier: ref.deviceLibraryIdentifier, pass_id: pass.id };
    const existing = await trx('device_registrations').where(where).first('id', 'push_token');
    if (existing) {
      if (existing.push_token !== pushToken) await trx('device_registrations').where({ id: existing.id }).update({ push_token: pushToken, updated_at: trx.fn.now() });
      return { created: false, passId: pass.id };
    }
    await trx('device_registrations').insert({ ...where, push_token: pushToken });
    await applyWalletEvent(trx, pass, { kind: 'appleRegistered' });
    return { created: true, passId: pass.id };
  });
  await dispatchPassCallbacks(deps, passId);
  return { created };
}

/** Unregisters a device (idempotent); the last device of a pass to unregister reports `Deregistered`. */
export async function unregisterAppleDevice(deps: Deps, ref: ApplePassRef): Promise<void> {
  const passId = await deps.db.transaction(async (trx) => {
    const pass = await authorisedPass(trx, deps.config, ref);
    const removed = await trx('device_registrations').where({ device_library_identifier: ref.deviceLibraryIdentifier, pass_id: pass.id }).delete();
    if (removed) {
      const [{ count }] = await trx('device_registrations').where({ pass_id: pass.id }).count<{ count: string }[]>('* as count');
      await applyWalletEvent(trx, pass, { kind: 'appleUnregistered', devicesLeft: Number(count) });
    }
    return pass.id;
  });
  await dispatchPassCallbacks(deps, passId);
}

/**
 * Serial numbers of the passes of one pass type registered on a device whose update tag moved after the tag
 * (all of them without one), and the new tag: the latest change's time in microseconds since the
 * epoch (exact, so no update is skipped or repeated). Null when none changed (Apple: 204).
 */
export async function updatedAppleSerials(
  deps: Deps,
  input: { deviceLibraryIdentifier: string; passTypeIdentifier: string; passesUpdatedSince?: string },
): Promise<{ serialNumbers: string[]; lastUpdated: string } | null> {
  const prefix = `${deps.config.wallet.applePassTypeIdPrefix}.`;
  if (!input.passTypeIdentifier.startsWith(prefix)) return null;
  const organisationId = input.passTypeIdentifier.slice(prefix.length);
  const q = deps.db('device_registrations as r')
    .join('passes as p', 'p.id', 'r.pass_id')
    .where({ 'r.device_library_identifier': input.deviceLibraryIdentifier, 'p.organisation_id': organisationId })
    .orderBy('p.serial_number')
    .select('p.serial_number', deps.db.raw("(extract(epoch from p.pass_updated_at) * 1000000)::bigint::text as tag"));
  if (input.passesUpdatedSince) q.whereRaw("p.pass_updated_at > timestamptz 'epoch' + (?::bigint * interval '1 microsecond')", [input.passesUpdatedSince]);
  const rows: { serial_number: string; tag: string }[] = await q;
  if (!rows.length) return null;
  const lastUpdated = rows.map((r) => BigInt(r.tag)).reduce((a, b) => (b > a ? b : a)).toString();
  return { serialNumbers: rows.map((r) => r.serial_number), lastUpdated };
}
