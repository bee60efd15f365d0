import crypto from 'node:crypto';
import { signDciSenderToken } from '../../src/auth/issuerTokens';
import type { Deps } from '../../src/deps';
import type { RegistryKey } from '../../src/domain/dci/registries';
import { decryptMessage, encryptMessage } from '../../src/services/dci/encryption';
import { dciKeys } from '../../src/services/dci/keys';
import { registerSender } from '../../src/services/dci/senders';
import { signEnvelope, verifyEnvelope } from '../../src/services/dci/signature';

/**
 * A DCI sender (a social-protection system) as tests need one: registered with Steward with its
 * own Ed25519 signing key and X25519 encryption key, able to sign (and encrypt) requests and to
 * verify (and decrypt) what Steward sends back.
 */
export interface TestSender {
  id: string;
  /** A bearer token for the DCI endpoints, issued to this sender (as POST /oauth/token would). */
  token: string;
  keyId: string;
  signingKey: crypto.KeyObject;
  encryptionKey: crypto.KeyObject;
  encryptionKeyId: string;
}

export async function createSender(deps: Deps, opts: { callbackUri?: string } = {}): Promise<TestSender> {
  const id = `spmis-${crypto.randomBytes(4).toString('hex')}.example.org`;
  const sig = crypto.generateKeyPairSync('ed25519');
  const enc = crypto.generateKeyPairSync('x25519');
  const r = await registerSender(deps.db, {
    id,
    name: `Test SP-MIS ${id}`,
    defaultCallbackUri: opts.callbackUri,
    signingKey: JSON.stringify(sig.publicKey.export({ format: 'jwk' })),
    signingKeyId: 'key-1',
    encryptionKey: JSON.stringify(enc.publicKey.export({ format: 'jwk' })),
  });
  const token = await signDciSenderToken(deps.jwtKeys, { senderId: id, clientId: `test-${id}` }, { issuer: deps.config.jwt.issuer, audience: deps.config.jwt.audience }, Math.floor(Date.now() / 1000) + 3600);
  tokens.set(id, token);
  return { id, token, keyId: 'key-1', signingKey: sig.privateKey, encryptionKey: enc.privateKey, encryptionKeyId: r.keys[1].keyId };
}

/** Tokens of the senders created here: `post` sends the one of the body's header.sender_id. */
const tokens = new Map<string, string>();

export interface EnvelopeOptions {
  action: string;
  message: unknown;
  registry: RegistryKey;
  senderUri?: string;
  /** Encrypt the message to Steward's published encryption key. */
  encrypt?: boolean;
  messageId?: string;
  /** Sign at this time (ms) instead of now. */
  signedAt?: number;
}

export async function envelope(deps: Deps, sender: TestSender, o: EnvelopeOptions) {
  const keys = dciKeys(deps.config);
  const header = {
    version: '1.0.0',
    message_id: o.messageId ?? crypto.randomUUID(),
    message_ts: new Date().toISOString(),
    action: o.action,
    sender_id: sender.id,
    ...(o.senderUri ? { sender_uri: o.senderUri } : {}),
    receiver_id: keys.registryIds[o.registry],
    total_count: Array.isArray((o.message as Record<string, unknown[]>).search_request)
      ? (o.message as Record<string, unknown[]>).search_request.length
      : Array.isArray((o.message as Record<string, unknown[]>).subscribe_request)
        ? (o.message as Record<string, unknown[]>).subscribe_request.length
        : 1,
    is_msg_encrypted: o.encrypt === true,
    meta: {},
  };
  const message = o.encrypt ? await encryptMessage(o.message, crypto.createPublicKey(keys.encryption.privateKey), keys.encryption.kid) : o.message;
  const signature = signEnvelope(header, message, { privateKey: sender.signingKey, kidId: `${sender.id}|${sender.keyId}|ed25519` }, o.signedAt);
  return { signature, header, message };
}

export async function post(baseUrl: string, registry: RegistryKey, path: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const senderId = typeof body === 'object' && body !== null ? (body as { header?: { sender_id?: string } }).header?.sender_id : undefined;
  const bearer = token ?? (senderId ? tokens.get(senderId) : undefined);
  const res = await fetch(`${baseUrl}/dci/${registry}/registry/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Verifies a message Steward sent, with the key Steward publishes at /.well-known/jwks.json. */
export async function verifyFromSteward(baseUrl: string, body: { signature?: unknown; header?: { sender_id?: unknown }; message?: unknown }): Promise<boolean> {
  const jwks = (await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()) as { keys: (crypto.JsonWebKey & { kid: string; use: string })[] };
  const r = await verifyEnvelope(body, async (_sender, keyId) => {
    const jwk = jwks.keys.find((k) => k.kid === keyId && k.use === 'sig');
    return jwk ? crypto.createPublicKey({ key: jwk, format: 'jwk' }) : undefined;
  });
  return r.ok;
}

/** The same check with Steward's key taken from its configuration (no API running). */
export async function verifyWithStewardKey(deps: Deps, body: { signature?: unknown; header?: { sender_id?: unknown }; message?: unknown }): Promise<boolean> {
  const keys = dciKeys(deps.config);
  const r = await verifyEnvelope(body, async (_sender, keyId) => (keyId === keys.signing.kid ? crypto.createPublicKey(keys.signing.privateKey) : undefined));
  return r.ok;
}

export async function decryptFromSteward(sender: TestSender, message: unknown): Promise<any> {
  return decryptMessage(message, sender.encryptionKey, sender.encryptionKeyId);
}

export const expr = (query: unknown) => ({ type: 'ns:org:QueryType:NoSql', value: { expression: { query } } });

export function searchMessage(registry: RegistryKey, items: { query_type?: string; query: unknown; sort?: unknown; pagination?: unknown; reference_id?: string }[]) {
  const regType = registry === 'dr' ? 'ns:org:RegistryType:DR' : 'ns:org:RegistryType:FR';
  const recordType = registry === 'dr' ? 'spdci-extensions-dci:DisabledPerson' : 'spdci-extensions-dci:Farmer';
  return {
    transaction_id: `txn-${crypto.randomBytes(4).toString('hex')}`,
    search_request: items.map((i, n) => ({
      reference_id: i.reference_id ?? `ref-${n + 1}`,
      timestamp: new Date().toISOString(),
      search_criteria: {
        version: '1.0.0',
        reg_type: regType,
        reg_record_type: recordType,
        query_type: i.query_type ?? 'expression',
        query: i.query,
        ...(i.sort ? { sort: i.sort } : {}),
        ...(i.pagination ? { pagination: i.pagination } : {}),
      },
      locale: 'eng',
    })),
  };
}
