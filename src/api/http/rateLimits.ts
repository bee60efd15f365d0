import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';

/**
 * Rate limits of the routes anyone can call without an organisation token (express-rate-limit,
 * in-memory per API process: behind a load balancer each instance counts its own). Per address
 * they are mounted before any body is parsed; per client after the small token body is. The
 * README's "Rate limits" table lists them.
 */
export const RATE_LIMITS = {
  /** POST /oauth/token runs scrypt for every attempt: per address, and per client_id. */
  oauthPerAddress: { limit: 30, windowMs: 60_000 },
  oauthPerClient: { limit: 10, windowMs: 60_000 },
  /** POST /claim/query: the issuee's claim (codes are also limited to 5 wrong tries per request). */
  claimPerAddress: { limit: 60, windowMs: 60_000 },
  /** GET /pass-download: opens encrypted pass links. */
  passDownloadPerAddress: { limit: 120, windowMs: 60_000 },
  /** POST /v1/log: Apple Wallet devices' log lines, written to our logs. */
  walletLogPerAddress: { limit: 30, windowMs: 60_000 },
  /** DCI endpoints: bodies up to 10 MB are parsed before their signature can be checked. */
  dciPerAddress: { limit: 300, windowMs: 60_000 },
} as const;

export type RateLimitName = keyof typeof RATE_LIMITS;

/** How a refusal looks at this edge (OAuth's, GraphQL's, DCI's or plain REST error shape). */
export type TooManyResponder = (res: Response, message: string) => void;

export const restTooMany: TooManyResponder = (res, message) => {
  res.json({ error: 'TOO_MANY_REQUESTS', message });
};

export const graphqlTooMany: TooManyResponder = (res, message) => {
  res.json({ errors: [{ message, extensions: { code: 'TOO_MANY_REQUESTS' } }] });
};

export const oauthTooMany: TooManyResponder = (res, message) => {
  res.setHeader('Cache-Control', 'no-store').json({ error: 'too_many_requests', error_description: message });
};

/**
 * A limiter: 429 with Retry-After and the RateLimit headers, the body in the edge's format.
 * `keyOf` returns the client key (undefined: not counted here); the default is the address.
 */
export function limiter(name: RateLimitName, respond: TooManyResponder, keyOf?: (req: Request) => string | undefined): RequestHandler {
  const { limit, windowMs } = RATE_LIMITS[name];
  const per = keyOf ? 'client' : 'address';
  return rateLimit({
    limit,
    windowMs,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    ...(keyOf ? { keyGenerator: (req: Request) => keyOf(req) ?? '', skip: (req: Request) => keyOf(req) === undefined } : {}),
    handler: (_req, res, _next, options) => {
      res.status(options.statusCode);
      respond(res, `too many requests from this ${per}: at most ${limit} per ${windowMs / 1000} s; retry after the Retry-After header's seconds`);
    },
  });
}
