import crypto from 'node:crypto';
import express, { NextFunction, Request, Response, Router } from 'express';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import type { Config } from '../../config';
import { secretOrDevFile } from '../../secrets';
import { stewardPayloadCodec } from '../../temporal/codec';
import { errorBodySchema, registerRoute } from '../openapi';
import { sendError } from './errors';

/**
 * Temporal's codec server protocol, so the Temporal UI and CLI can show Steward's encrypted
 * payloads: POST {endpoint}/encode and {endpoint}/decode with {"payloads": [{metadata, data}]}
 * (proto JSON: metadata values and data base64). The endpoint is /codec with
 * `Authorization: Bearer <codec token>` (temporal CLI: --codec-endpoint/--codec-auth), or
 * /codec/<codec token> for the UI, which cannot send a static header. CORS allows the UI origins.
 */
const payloadJson = z.object({
  metadata: z.record(z.string(), z.string().base64('must be base64')).nullish(),
  data: z.string().base64('must be base64').nullish(),
});
const codecBody = z.object({ payloads: z.array(payloadJson, { error: 'is required: an array of payloads' }) });
const codecResponse = z.object({ payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()), data: z.string() })) });

for (const op of ['encode', 'decode'] as const) {
  const responses = {
    200: { description: `the payloads ${op}d`, schema: codecResponse },
    400: { description: 'not a codec request', schema: errorBodySchema },
    401: { description: 'missing or wrong codec token' },
  };
  registerRoute({
    method: 'post',
    path: `/codec/${op}`,
    summary: `Temporal codec server: ${op} payloads (Authorization: Bearer <codec token>)`,
    tags: ['Operations'],
    auth: 'bearer',
    schemas: { body: codecBody, responses },
  });
  registerRoute({
    method: 'post',
    path: `/codec/:token/${op}`,
    summary: `Temporal codec server for the Temporal UI: ${op} payloads (token in the path)`,
    tags: ['Operations'],
    auth: 'none',
    schemas: { params: z.object({ token: z.string().describe('the codec token') }), body: codecBody, responses },
  });
}

/** CODEC_AUTH_TOKEN, or outside production a token generated once in the data folder; undefined: the endpoint is off. */
export function codecAuthToken(config: Config): string | undefined {
  if (config.codec.authToken) return config.codec.authToken;
  if (config.env === 'production') return undefined;
  return Buffer.from(secretOrDevFile(undefined, config.dataDir, 'codec-auth-token')).toString('base64url');
}

const b64 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('base64');

export function codecRouter(config: Config): Router {
  const router = Router();
  const codec = stewardPayloadCodec(config);
  const token = codecAuthToken(config);
  const expected = Buffer.from(token ?? '');
  // Production keeps the token out of URLs (proxies and access logs keep those): header only.
  const pathTokens = config.env !== 'production';
  const origins = new Set(config.codec.corsOrigins);

  const cors = (req: Request, res: Response, next: NextFunction) => {
    const origin = req.header('origin');
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
  const tokenMatches = (given: string | undefined) => {
    const g = Buffer.from(given ?? '');
    return g.length === expected.length && crypto.timingSafeEqual(g, expected);
  };
  /** The token is checked before the (up to 16 MB) body is read: strangers cost no parsing. */
  const authorize = (req: Request, res: Response, next: NextFunction) => {
    if (!token) {
      res.status(503).json({ error: 'SERVICE_UNAVAILABLE', message: 'the codec endpoint is off: set CODEC_AUTH_TOKEN to serve it' });
      return;
    }
    if (req.params.token !== undefined && !pathTokens) {
      res.status(403).json({ error: 'FORBIDDEN', message: 'a codec token in the URL path is refused in production (proxies log URLs); send Authorization: Bearer <token> to /codec/encode or /codec/decode' });
      return;
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
    if (!tokenMatches((req.params.token as string | undefined) ?? bearer)) {
      res.status(401).json({ error: 'UNAUTHENTICATED', message: 'a valid codec token is required (Authorization: Bearer <token>, or /codec/<token>/...)' });
      return;
    }
    next();
  };
  const handle = (op: 'encode' | 'decode') => async (req: Request, res: Response) => {
    let payloads: Payload[];
    try {
      payloads = codecBody.parse(req.body ?? {}).payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
        data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
      }));
    } catch (err) {
      sendError(res, err, 'body');
      return;
    }
    let out: Payload[];
    try {
      out = op === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    } catch (err) {
      res.status(400).json({ error: 'BAD_USER_INPUT', message: `payloads could not be ${op}d: ${(err as Error).message}`, field: 'body.payloads' });
      return;
    }
    res.json({ payloads: out.map((p) => ({ metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(p.data) })) });
  };
  const json = express.json({ limit: '16mb' });
  router.use('/codec', cors);
  router.post('/codec/encode', authorize, json, handle('encode'));
  router.post('/codec/decode', authorize, json, handle('decode'));
  router.post('/codec/:token/encode', authorize, json, handle('encode'));
  router.post('/codec/:token/decode', authorize, json, handle('decode'));
  return router;
}
