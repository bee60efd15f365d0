import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

/**
 * An independent DCI client, written from the standard's API files (spec/dci/current) and its
 * README alone: it imports nothing from Steward's src/. It signs envelopes (the README's OpenSPP
 * scheme), gets bearer tokens from a token API (OAuth 2.0 client credentials), validates every
 * request, response and callback against the API file with ajv, and runs its own callback server
 * (with its own token API) as an SP system would.
 */
export type Registry = 'dr' | 'fr';
const SPEC_DIR = path.join(__dirname, '../../spec/dci/current');

export interface Operation {
  registry: Registry;
  path: string;
  method: string;
  op: Record<string, any>;
}

/**
 * The API file as published, with one repair: in the FR file `/registry/on-subscribe` parses as
 * `post: null` and its operation's keys sit at the path level (an indentation slip). They are
 * moved back under `post`, which is what the file means (FR's on-subscribe then takes a
 * MsgCallbackHeader); `onSubscribeAlsoAsDr` checks the DR file's shape too, as the README says.
 */
export function loadSpec(registry: Registry): Record<string, any> {
  const doc = YAML.parse(fs.readFileSync(path.join(SPEC_DIR, `${registry}_api_v1.0.0.yaml`), 'utf8'));
  for (const [p, item] of Object.entries<Record<string, any>>(doc.paths)) {
    if ('post' in item && item.post === null) {
      const { post: _null, ...operation } = item;
      doc.paths[p] = { post: operation };
    }
  }
  return doc;
}

export const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];

export function operations(doc: Record<string, any>, registry: Registry): Operation[] {
  return Object.entries<Record<string, any>>(doc.paths).flatMap(([p, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ registry, path: p, method: m, op: item[m] })),
  );
}

export class SpecValidator {
  readonly docs: Record<Registry, Record<string, any>> = { dr: loadSpec('dr'), fr: loadSpec('fr') };
  private ajv = new Ajv({ strict: false, allErrors: true });
  private cache = new Map<string, ValidateFunction>();

  constructor() {
    addFormats(this.ajv);
    for (const r of ['dr', 'fr'] as Registry[]) this.ajv.addSchema({ ...this.docs[r], $id: `${r}.yaml` });
  }

  private validator(registry: Registry, pointer: string[]): ValidateFunction {
    const ref = `${registry}.yaml#/${pointer.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
    let v = this.cache.get(ref);
    if (!v) {
      v = this.ajv.getSchema(ref);
      if (!v) throw new Error(`no schema at ${ref}`);
      this.cache.set(ref, v);
    }
    return v;
  }

  /** Errors of a body against the path's request schema ([] when valid). */
  requestErrors(registry: Registry, apiPath: string, body: unknown): string[] {
    const v = this.validator(registry, ['paths', apiPath, 'post', 'requestBody', 'content', 'application/json', 'schema']);
    return v(body) ? [] : [this.ajv.errorsText(v.errors)];
  }

  /** Errors of a response with HTTP `status` against the path's documented response (else `default`). */
  responseErrors(registry: Registry, apiPath: string, status: number, body: unknown): string[] {
    const responses = this.docs[registry].paths[apiPath].post.responses;
    const key = String(status) in responses ? String(status) : 'default';
    const response = responses[key];
    const pointer = response.$ref
      ? [...(response.$ref as string).slice(2).split('/'), 'content', 'application/json', 'schema']
      : ['paths', apiPath, 'post', 'responses', key, 'content', 'application/json', 'schema'];
    const v = this.validator(registry, pointer);
    return v(body) ? [] : [`${key}: ${this.ajv.errorsText(v.errors)}`];
  }

  /** The README: FR's on-subscribe also validated with the DR file's on-subscribe shape. */
  onSubscribeAlsoAsDr(body: unknown): string[] {
    return this.requestErrors('dr', '/registry/on-subscribe', body);
  }
}

// --- Signatures (dci-spec/README.md: the OpenSPP scheme) ---------------------------------------

/** JSON with object keys sorted at every level, no whitespace. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const digestOf = (header: unknown, message: unknown) => crypto.createHash('sha256').update(canonical({ header, message })).digest('base64');
const signingString = (created: number, expires: number, digest: string) => `(created): ${created}\n(expires): ${expires}\ndigest: ${digest}`;

export function sign(header: unknown, message: unknown, key: crypto.KeyObject, kidId: string, now = Date.now()): string {
  const created = Math.floor(now / 1000);
  const expires = created + 300;
  const signature = crypto.sign(null, Buffer.from(signingString(created, expires, digestOf(header, message))), key).toString('base64');
  return `Signature: namespace="spdci", kidId="${kidId}", algorithm="ed25519", created="${created}", expires="${expires}", headers="(created) (expires) digest", signature="${signature}"`;
}

/** Verifies a signature field against a JWKS (the registry's /.well-known/jwks.json). */
export function verify(body: { signature?: string; header?: unknown; message?: unknown }, jwks: { keys: (crypto.JsonWebKey & { kid?: string })[] }): boolean {
  const fields = Object.fromEntries([...(body.signature ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const keyId = (fields.kidId ?? '').split('|')[1];
  const jwk = jwks.keys.find((k) => k.kid === keyId);
  if (!jwk || fields.algorithm !== 'ed25519') return false;
  const created = Number(fields.created);
  const expires = Number(fields.expires);
  if (!(Date.now() / 1000 <= expires)) return false;
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  return crypto.verify(null, Buffer.from(signingString(created, expires, digestOf(body.header, body.message))), key, Buffer.from(fields.signature, 'base64'));
}

// --- The SP system --------------------------------------------------------------------------

export interface Party {
  id: string;
  keyId: string;
  privateKey: crypto.KeyObject;
  publicJwk: crypto.JsonWebKey;
}

export function newParty(id: string): Party {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  return { id, keyId: 'k1', privateKey, publicJwk: publicKey.export({ format: 'jwk' }) };
}

export function envelope(from: Party, o: { action: string; receiverId: string; message: Record<string, unknown>; senderUri?: string; callback?: { status: string } }) {
  const total = ['search_request', 'subscribe_request', 'subscription_codes', 'notify_event', 'search_response', 'subscribe_response'].map((k) => o.message[k]).find(Array.isArray);
  const header: Record<string, unknown> = {
    version: '1.0.0',
    message_id: crypto.randomUUID(),
    message_ts: new Date().toISOString(),
    action: o.action,
    sender_id: from.id,
    ...(o.senderUri ? { sender_uri: o.senderUri } : {}),
    receiver_id: o.receiverId,
    total_count: (total as unknown[] | undefined)?.length ?? 1,
    ...(o.callback ? { status: o.callback.status, completed_count: (total as unknown[] | undefined)?.length ?? 1 } : {}),
    is_msg_encrypted: false,
    meta: {},
  };
  return { signature: sign(header, o.message, from.privateKey, `${from.id}|${from.keyId}|ed25519`), header, message: o.message };
}

/** POST <tokenUrl> grant_type=client_credentials. */
export async function token(tokenUrl: string, clientId: string, clientSecret: string): Promise<{ status: number; body: any }> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  return { status: res.status, body: await res.json() };
}

export async function postJson(url: string, body: unknown, bearer?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export interface ReceivedCallback {
  path: string;
  authorization?: string;
  body: any;
}

/**
 * The SP system's own endpoints: a token API (client credentials it issued to the registry) and
 * the callback paths of the standard under `<base>/registry/...`, which answer 401 without one of
 * its tokens and acknowledge everything else.
 */
export class SpSystem {
  readonly callbacks: ReceivedCallback[] = [];
  readonly client = { id: `registry-${crypto.randomBytes(4).toString('hex')}`, secret: crypto.randomBytes(16).toString('hex') };
  private tokens = new Set<string>();
  private server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/token') {
        const p = new URLSearchParams(raw);
        if (p.get('client_id') !== this.client.id || p.get('client_secret') !== this.client.secret) return send(401, { error: 'invalid_client', error_description: 'unknown client' });
        const t = crypto.randomBytes(24).toString('base64url');
        this.tokens.add(t);
        return send(200, { access_token: t, token_type: 'Bearer', expires_in: 300 });
      }
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      let body: unknown = null;
      try {
        body = JSON.parse(raw);
      } catch {
        // recorded as null
      }
      this.callbacks.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
      if (!bearer || !this.tokens.has(bearer)) return send(401, { errors: [{ code: 'err.request.unauthorized', message: 'bearer token required' }] });
      send(200, { message: { ack_status: 'ACK', timestamp: new Date().toISOString(), correlation_id: crypto.randomUUID() } });
      this.waiters = this.waiters.filter((w) => !w());
    });
  });
  private waiters: (() => boolean)[] = [];
  baseUrl = '';

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  /** Callbacks (accepted with a token) whose body matches. */
  accepted(pred: (c: ReceivedCallback) => boolean): ReceivedCallback[] {
    return this.callbacks.filter((c) => c.authorization && pred(c));
  }

  waitFor(pred: (c: ReceivedCallback) => boolean, count = 1, timeoutMs = 60_000): Promise<ReceivedCallback[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.accepted(pred);
        if (found.length < count) return false;
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => reject(new Error(`SP system: ${count} callback(s) not received within ${timeoutMs} ms (${this.callbacks.length} in all)`)), timeoutMs);
      if (!check()) this.waiters.push(check);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
