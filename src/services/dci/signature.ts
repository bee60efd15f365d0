import crypto from 'node:crypto';

/**
 * DCI message signatures. The standard shows the signature only by example, so Steward uses the
 * scheme of the OpenSPP implementation (documented in the README):
 *
 *   digest         = base64( SHA-256( canonical JSON of {"header": header, "message": message} ) )
 *   signing string = "(created): <created>\n(expires): <expires>\ndigest: <digest>"
 *   signature      = base64( Ed25519( signing string ) )
 *   field          = Signature: namespace="spdci", kidId="<sender_id>|<key_id>|ed25519", algorithm="ed25519",
 *                    created="<unix s>", expires="<unix s>", headers="(created) (expires) digest", signature="<sig>"
 *
 * Canonical JSON: object keys sorted (by UTF-16 code units) at every level, no whitespace, values
 * as JSON.stringify writes them. Messages live 300 s; a verifier rejects one whose expiry has passed,
 * whose creation lies more than 60 s in the future, or whose lifetime (expires - created) is longer
 * than 300 s (else a capture signed to live for years could be replayed for years).
 */
export const SIGNATURE_TTL_SECONDS = 300;
export const CLOCK_SKEW_SECONDS = 60;
const SIGNED_HEADERS = '(created) (expires) digest';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function envelopeDigest(header: unknown, message: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson({ header, message })).digest('base64');
}

export function signingString(created: number, expires: number, digest: string): string {
  return `(created): ${created}\n(expires): ${expires}\ndigest: ${digest}`;
}

export interface SignatureFields {
  namespace?: string;
  kidId: string;
  algorithm: string;
  created: number;
  expires: number;
  headers: string;
  signature: string;
}

/** Parses the signature field; null when it is not of the documented form. */
export function parseSignature(text: string): SignatureFields | null {
  const m = /^\s*Signature:\s*(.*)$/s.exec(text);
  if (!m) return null;
  const params: Record<string, string> = {};
  for (const p of m[1].matchAll(/([A-Za-z]+)="([^"]*)"/g)) params[p[1]] = p[2];
  const created = Number(params.created);
  const expires = Number(params.expires);
  if (!params.kidId || !params.algorithm || !params.signature || !Number.isInteger(created) || !Number.isInteger(expires)) return null;
  return { namespace: params.namespace, kidId: params.kidId, algorithm: params.algorithm, created, expires, headers: params.headers ?? SIGNED_HEADERS, signature: params.signature };
}

export function formatSignature(f: Omit<SignatureFields, 'headers' | 'namespace'>): string {
  return `Signature: namespace="spdci", kidId="${f.kidId}", algorithm="${f.algorithm}", created="${f.created}", expires="${f.expires}", headers="${SIGNED_HEADERS}", signature="${f.signature}"`;
}

export interface Signer {
  privateKey: crypto.KeyObject;
  /** "<sender_id>|<key_id>|ed25519" */
  kidId: string;
}

/** Signs {header, message} now (fresh created/expires): returns the signature field. */
export function signEnvelope(header: unknown, message: unknown, signer: Signer, nowMs = Date.now()): string {
  const created = Math.floor(nowMs / 1000);
  const expires = created + SIGNATURE_TTL_SECONDS;
  const data = Buffer.from(signingString(created, expires, envelopeDigest(header, message)));
  const signature = crypto.sign(null, data, signer.privateKey).toString('base64');
  return formatSignature({ kidId: signer.kidId, algorithm: 'ed25519', created, expires, signature });
}

export type VerifyFailure = { ok: false; code: 'err.signature.missing' | 'err.signature.invalid' | 'err.sender_id.invalid'; message: string };
export type VerifyResult = { ok: true; keyId: string } | VerifyFailure;

/** Finds a sender's registered Ed25519 public key; 'unknown-sender' when the sender is not registered. */
export type KeyLookup = (senderId: string, keyId: string) => Promise<crypto.KeyObject | 'unknown-sender' | undefined>;

/** Checks an envelope's signature against the sender's registered key, and its time window. */
export async function verifyEnvelope(
  envelope: { signature?: unknown; header?: { sender_id?: unknown }; message?: unknown },
  lookup: KeyLookup,
  nowMs = Date.now(),
): Promise<VerifyResult> {
  const fail = (code: VerifyFailure['code'], message: string): VerifyFailure => ({ ok: false, code, message });
  if (envelope.signature === undefined || envelope.signature === null || envelope.signature === '') {
    return fail('err.signature.missing', 'signature is required: sign {header, message} as documented');
  }
  if (typeof envelope.signature !== 'string') return fail('err.signature.invalid', 'signature must be a string');
  const f = parseSignature(envelope.signature);
  if (!f) return fail('err.signature.invalid', 'signature is not of the form Signature: kidId="...", algorithm="ed25519", created="...", expires="...", signature="..."');
  if (f.algorithm.toLowerCase() !== 'ed25519') return fail('err.signature.invalid', `algorithm "${f.algorithm}" is not supported; use ed25519`);
  if (f.headers.trim().split(/\s+/).join(' ') !== SIGNED_HEADERS) return fail('err.signature.invalid', `headers must be "${SIGNED_HEADERS}"`);
  const [kidSender, keyId, kidAlg] = f.kidId.split('|');
  const senderId = envelope.header?.sender_id;
  if (!keyId || kidSender !== senderId) return fail('err.signature.invalid', 'kidId must be "<header.sender_id>|<key id>|ed25519"');
  if (kidAlg && kidAlg.toLowerCase() !== 'ed25519') return fail('err.signature.invalid', `kidId algorithm "${kidAlg}" is not supported; use ed25519`);
  const now = Math.floor(nowMs / 1000);
  if (f.expires <= f.created) return fail('err.signature.invalid', 'expires must be after created');
  if (f.expires - f.created > SIGNATURE_TTL_SECONDS) {
    return fail('err.signature.invalid', `signature lifetime (expires - created = ${f.expires - f.created} s) exceeds the maximum of ${SIGNATURE_TTL_SECONDS} s`);
  }
  if (now > f.expires) return fail('err.signature.invalid', `signature expired at ${new Date(f.expires * 1000).toISOString()}`);
  if (f.created > now + CLOCK_SKEW_SECONDS) return fail('err.signature.invalid', 'signature created in the future');
  const key = await lookup(senderId as string, keyId);
  if (key === 'unknown-sender') return fail('err.sender_id.invalid', `sender "${senderId}" is not registered with this registry`);
  if (!key) return fail('err.signature.invalid', `no active signing key "${keyId}" registered for sender "${senderId}"`);
  const data = Buffer.from(signingString(f.created, f.expires, envelopeDigest(envelope.header, envelope.message)));
  let valid = false;
  try {
    valid = crypto.verify(null, data, key, Buffer.from(f.signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return fail('err.signature.invalid', 'signature does not match the message and the sender\'s key');
  return { ok: true, keyId };
}
