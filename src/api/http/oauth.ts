import { formatIssues } from '../../domain/issues';
import express, { Router } from 'express';
import { z } from 'zod';
import { DCI_TOKEN_TTL_SECONDS, ISSUER_TOKEN_TTL_SECONDS, signDciSenderToken, signIssuerToken } from '../../auth/issuerTokens';
import type { Deps } from '../../deps';
import { logger } from '../../logger';
import { authenticateClient } from '../../services/consumers/oauthClients';
import { registerRoute } from '../openapi';
import { limiter, oauthTooMany } from './rateLimits';

const tokenRequest = z.object({
  grant_type: z.string().describe('client_credentials'),
  client_id: z.string().optional().describe('or HTTP Basic authentication'),
  client_secret: z.string().optional().describe('or HTTP Basic authentication'),
  scope: z.string().optional(),
});
const tokenResponse = z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() });
const oauthError = z.object({ error: z.string(), error_description: z.string() });

registerRoute({
  method: 'post',
  path: '/oauth/token',
  summary: 'OAuth 2.0 access token (client credentials grant) for a card issuer backend (seed 001) or a DCI sender (seeds 002/004)',
  description: 'application/x-www-form-urlencoded (or JSON) body; client credentials in the body or with HTTP Basic authentication. Clients are created with `npm run admin -- oauth-client create --issuer <issuerId>` (issuers) or `npm run admin -- dci sender add` (DCI senders; their tokens live 300 s).',
  tags: ['Consumers (seed 001)'],
  auth: 'none',
  schemas: {
    body: tokenRequest,
    responses: {
      200: { description: 'a bearer JWT for /issuers/{issuerId}/... or for the DCI endpoints /dci/{dr|fr}/registry/...', schema: tokenResponse },
      400: { description: 'invalid_request or unsupported_grant_type', schema: oauthError },
      401: { description: 'invalid_client', schema: oauthError },
    },
  },
});

/** POST /oauth/token (RFC 6749 §4.4): errors in the RFC's shape. */
export function oauthRouter(deps: Deps): Router {
  const router = Router();
  const fail = (res: express.Response, status: number, error: string, description: string) =>
    res.status(status).setHeader('Cache-Control', 'no-store').json({ error, error_description: description });
  // Per client_id (body or Basic), so one client's secret cannot be guessed from many addresses.
  const perClient = limiter('oauthPerClient', oauthTooMany, (req) => {
    const basic = /^Basic\s+(\S+)$/i.exec(req.header('authorization') ?? '');
    const id = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0] : (req.body as { client_id?: unknown } | undefined)?.client_id;
    return typeof id === 'string' && id !== '' ? `client:${id}` : undefined;
  });
  router.post('/oauth/token', express.urlencoded({ extended: false, limit: '16kb' }), express.json({ limit: '16kb' }), perClient, async (req, res) => {
    try {
      const body = tokenRequest.safeParse(req.body ?? {});
      if (!body.success) return fail(res, 400, 'invalid_request', formatIssues(body.error.issues.slice(0, 1)));
      if (body.data.grant_type !== 'client_credentials') return fail(res, 400, 'unsupported_grant_type', 'grant_type: only client_credentials is supported');
      let id = body.data.client_id;
      let secret = body.data.client_secret;
      const basic = /^Basic\s+(\S+)$/i.exec(req.header('authorization') ?? '');
      if (basic) {
        const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) return fail(res, 401, 'invalid_client', 'Basic credentials must be client_id:client_secret');
        // RFC 6749 §2.3.1: both parts are form-urlencoded; a malformed escape is the client's mistake.
        try {
          id = decodeURIComponent(decoded.slice(0, colon));
          secret = decodeURIComponent(decoded.slice(colon + 1));
        } catch {
          return fail(res, 401, 'invalid_client', 'Basic credentials are not form-urlencoded correctly (a "%" must start an escape such as %25)');
        }
      }
      if (!id || !secret) return fail(res, 401, 'invalid_client', 'client_id and client_secret are required (body or HTTP Basic)');
      const owner = await authenticateClient(deps.db, id, secret);
      if (!owner) return fail(res, 401, 'invalid_client', 'unknown client or wrong secret');
      const opts = { issuer: deps.config.jwt.issuer, audience: deps.config.jwt.audience };
      if ('dciSenderId' in owner) {
        const token = await signDciSenderToken(deps.jwtKeys, { senderId: owner.dciSenderId, clientId: id }, opts);
        logger.info({ clientId: id, dciSenderId: owner.dciSenderId }, 'DCI sender access token issued');
        return res.setHeader('Cache-Control', 'no-store').json({ access_token: token, token_type: 'Bearer', expires_in: DCI_TOKEN_TTL_SECONDS });
      }
      const token = await signIssuerToken(deps.jwtKeys, { issuerId: owner.issuerId, clientId: id }, opts);
      logger.info({ clientId: id, issuerId: owner.issuerId }, 'issuer access token issued');
      res.setHeader('Cache-Control', 'no-store').json({ access_token: token, token_type: 'Bearer', expires_in: ISSUER_TOKEN_TTL_SECONDS });
    } catch (err) {
      logger.error({ err }, 'token endpoint failed');
      fail(res, 500, 'server_error', 'the token could not be issued');
    }
  });
  return router;
}
