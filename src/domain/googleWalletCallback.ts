import { fieldIssues } from './issues';
import crypto from 'node:crypto';
import { z } from 'zod';

/**
 * Google Wallet save/delete callbacks (https://developers.google.com/wallet/generic/use-cases/use-callbacks-for-saves-and-deletions):
 * a message signed with Google's ECv2SigningOnly protocol, verified here as Tink's
 * PaymentMethodTokenRecipient does, with node:crypto (ECDSA P-256 / SHA-256, DER signatures):
 *  1. the intermediate signing key is signed by one of Google's root keys over
 *     lengthValue("Google", "ECv2SigningOnly", signedKey), and has not expired;
 *  2. the message is signed by the intermediate key over
 *     lengthValue("GooglePayPasses", recipientId, "ECv2SigningOnly", signedMessage);
 *  3. the message itself has not expired (expTimeMillis).
 */
export const GOOGLE_SENDER_ID = 'GooglePayPasses';
export const GOOGLE_PROTOCOL = 'ECv2SigningOnly';

const millis = z.union([z.number().int(), z.string().regex(/^\d+$/, 'must be milliseconds since the epoch')]).transform(Number);

/** Google's public keys document (https://pay.google.com/gp/m/issuer/keys), given as GOOGLE_WALLET_ROOT_KEYS. */
export const googleRootKeysSchema = z.object({
  keys: z
    .array(
      z.object({
        keyValue: z.string().min(1),
        protocolVersion: z.string().min(1),
        keyExpiration: millis.optional(),
      }),
    )
    .min(1, 'needs at least one key'),
});
export type GoogleRootKeys = z.infer<typeof googleRootKeysSchema>;

export const googleCallbackBodySchema = z.object({
  signature: z.string().min(1, 'is required'),
  intermediateSigningKey: z.object({
    signedKey: z.string().min(1, 'is required'),
    signatures: z.array(z.string()).min(1, 'needs at least one signature'),
  }),
  protocolVersion: z.literal(GOOGLE_PROTOCOL, { error: `must be ${GOOGLE_PROTOCOL}` }),
  signedMessage: z.string().min(1, 'is required'),
});
export type GoogleCallbackBody = z.infer<typeof googleCallbackBodySchema>;

const signedKeySchema = z.object({ keyValue: z.string().min(1), keyExpiration: millis });

const messageSchema = z.object({
  classId: z.string(),
  objectId: z.string().min(1),
  expTimeMillis: millis,
  eventType: z.enum(['save', 'del'], { error: 'must be save or del' }),
  nonce: z.string().min(1).max(512),
});
export type GoogleCallbackMessage = z.infer<typeof messageSchema>;

/** Why a callback was refused: `malformed` is the sender's bug (400), the others fail authentication (401). */
export class GoogleCallbackError extends Error {
  constructor(
    readonly reason: 'malformed' | 'signature' | 'expired',
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

/** Each field as its 4-byte little-endian length followed by its UTF-8 bytes. */
export function lengthValue(...fields: string[]): Buffer {
  return Buffer.concat(
    fields.flatMap((f) => {
      const bytes = Buffer.from(f, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      return [len, bytes];
    }),
  );
}

function p256Key(base64Der: string): crypto.KeyObject | null {
  try {
    const key = crypto.createPublicKey({ key: Buffer.from(base64Der, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : null;
  } catch {
    return null;
  }
}

function verifies(key: crypto.KeyObject, data: Buffer, signatureBase64: string): boolean {
  try {
    return crypto.verify('sha256', data, { key, dsaEncoding: 'der' }, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

function parseJson<T extends z.ZodTypeAny>(schema: T, text: string, field: string): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GoogleCallbackError('malformed', field, 'is not a JSON string');
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const [first] = fieldIssues(r.error.issues, field);
    throw new GoogleCallbackError('malformed', first.field, first.message);
  }
  return r.data;
}

/**
 * Verifies a callback body and returns its message. Throws GoogleCallbackError naming the field:
 * nothing in an unverified message is trusted.
 */
export function verifyGoogleCallback(
  raw: unknown,
  opts: { recipientId: string; rootKeys: GoogleRootKeys; now: Date },
): GoogleCallbackMessage {
  const parsed = googleCallbackBodySchema.safeParse(raw);
  if (!parsed.success) {
    const [first] = fieldIssues(parsed.error.issues, 'body');
    throw new GoogleCallbackError('malformed', first.field, first.message);
  }
  const body = parsed.data;
  const now = opts.now.getTime();

  const roots = opts.rootKeys.keys
    .filter((k) => k.protocolVersion === GOOGLE_PROTOCOL && (k.keyExpiration === undefined || k.keyExpiration > now))
    .map((k) => p256Key(k.keyValue))
    .filter((k): k is crypto.KeyObject => k !== null);
  const signedKeyData = lengthValue('Google', GOOGLE_PROTOCOL, body.intermediateSigningKey.signedKey);
  const trusted = body.intermediateSigningKey.signatures.some((sig) => roots.some((root) => verifies(root, signedKeyData, sig)));
  if (!trusted) {
    throw new GoogleCallbackError('signature', 'body.intermediateSigningKey.signatures', 'no signature verifies with a current Google root key');
  }

  const signedKey = parseJson(signedKeySchema, body.intermediateSigningKey.signedKey, 'body.intermediateSigningKey.signedKey');
  if (signedKey.keyExpiration <= now) {
    throw new GoogleCallbackError('expired', 'body.intermediateSigningKey.signedKey', `the intermediate signing key expired at ${new Date(signedKey.keyExpiration).toISOString()}`);
  }
  const intermediate = p256Key(signedKey.keyValue);
  if (!intermediate) throw new GoogleCallbackError('malformed', 'body.intermediateSigningKey.signedKey.keyValue', 'is not a P-256 public key');

  const messageData = lengthValue(GOOGLE_SENDER_ID, opts.recipientId, GOOGLE_PROTOCOL, body.signedMessage);
  if (!verifies(intermediate, messageData, body.signature)) {
    throw new GoogleCallbackError('signature', 'body.signature', `does not verify for recipient ${opts.recipientId} with the intermediate signing key`);
  }

  const message = parseJson(messageSchema, body.signedMessage, 'body.signedMessage');
  if (message.expTimeMillis <= now) {
    throw new GoogleCallbackError('expired', 'body.signedMessage.expTimeMillis', `the message expired at ${new Date(message.expTimeMillis).toISOString()}`);
  }
  return message;
}
