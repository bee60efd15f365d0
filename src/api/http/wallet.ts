import express, { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps';
import { logger } from '../../logger';
import { registerAppleDevice, unregisterAppleDevice, updatedAppleSerials } from '../../services/appleWallet';
import { handleGoogleCallback } from '../../services/googleWallet';
import { googleCallbackBodySchema } from '../../domain/googleWalletCallback';
import { errorBodySchema, registerRoute } from '../openapi';
import { sendError } from './errors';

/**
 * Wallet events (no organisation token; each call proves itself): Apple's PassKit web service,
 * authenticated by the pass's authentication token, and Google Wallet's signed save/delete callback.
 */
const deviceLibraryIdentifier = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 letters, digits, dots, dashes or underscores');
const passTypeIdentifier = z.string().regex(/^[A-Za-z0-9.-]{1,255}$/, 'must be a pass type identifier such as pass.io.steward.acme');
const serialNumber = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a serial number');

const registrationParams = z.object({ deviceLibraryIdentifier, passTypeIdentifier, serialNumber });
const authHeaders = z.object({ authorization: z.string().optional().describe('ApplePass <authenticationToken of the pass>') });
const registerBody = z.object({ pushToken: z.string({ error: 'is required' }).min(1, 'is required').max(512, 'must be at most 512 characters') });
const serialsParams = z.object({ deviceLibraryIdentifier, passTypeIdentifier });
const serialsQuery = z.object({ passesUpdatedSince: z.string().regex(/^\d{1,20}$/, 'must be a lastUpdated tag returned earlier').optional() });
const serialsResponse = z.object({ serialNumbers: z.array(z.string()), lastUpdated: z.string() });
const logBody = z.object({ logs: z.array(z.string().max(4000, 'must be at most 4000 characters')).max(100, 'at most 100 lines per request') });
const message = z.object({ message: z.string() });
const googleResponse = z.object({ message: z.string(), applied: z.boolean(), status: z.enum(['Redeemed', 'Removed']).nullable() });

const apple = ['Apple Wallet web service'];
const unauthorised = { description: 'no or wrong ApplePass token for this pass and pass type identifier', schema: errorBodySchema };
const badRequest = { description: 'a parameter or the body breaks a rule (named in field)', schema: errorBodySchema };

registerRoute({
  method: 'post',
  path: '/v1/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier/:serialNumber',
  summary: 'Register a device to receive updates of a pass',
  description: 'The first registration of a pass sends the organisation a `Redeemed` callback (deviceOS Apple); a registration after every device unregistered sends `Registered`.',
  tags: apple,
  auth: 'none',
  schemas: {
    params: registrationParams,
    headers: authHeaders,
    body: registerBody,
    responses: { 201: { description: 'registered', schema: message }, 200: { description: 'this device was already registered', schema: message }, 400: badRequest, 401: unauthorised },
  },
});
registerRoute({
  method: 'delete',
  path: '/v1/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier/:serialNumber',
  summary: 'Unregister a device from updates of a pass',
  description: 'When the last registered device of a pass unregisters, the organisation gets a `Deregistered` callback. Unregistering twice is harmless.',
  tags: apple,
  auth: 'none',
  schemas: { params: registrationParams, headers: authHeaders, responses: { 200: { description: 'unregistered', schema: message }, 400: badRequest, 401: unauthorised } },
});
registerRoute({
  method: 'get',
  path: '/v1/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier',
  summary: 'Serial numbers of the passes registered on a device that changed since a tag',
  tags: apple,
  auth: 'none',
  schemas: {
    params: serialsParams,
    query: serialsQuery,
    responses: { 200: { description: 'changed passes and the new tag', schema: serialsResponse }, 204: { description: 'no matching passes' }, 400: badRequest },
  },
});
registerRoute({
  method: 'post',
  path: '/v1/log',
  summary: 'Log messages from Apple devices about web service errors',
  tags: apple,
  auth: 'none',
  schemas: { body: logBody, responses: { 200: { description: 'logged', schema: message }, 400: badRequest } },
});
registerRoute({
  method: 'post',
  path: '/wallet/google/callback',
  summary: 'Google Wallet save/delete callback (ECv2SigningOnly signed message)',
  description:
    'Verified against GOOGLE_WALLET_ROOT_KEYS for recipient GOOGLE_WALLET_ISSUER_ID; objectId is `<issuerId>.<serialNumber>`. A first `save` sends the organisation `Redeemed` (deviceOS Google), `del` sends `Removed`. A nonce seen before changes nothing.',
  tags: ['Google Wallet'],
  auth: 'none',
  schemas: {
    body: googleCallbackBodySchema,
    responses: {
      200: { description: 'applied, or a duplicate (applied false)', schema: googleResponse },
      400: badRequest,
      401: { description: 'signature does not verify, or the key or message expired', schema: errorBodySchema },
      403: { description: 'Google Wallet is not configured', schema: errorBodySchema },
      404: { description: 'no pass for the object ID', schema: errorBodySchema },
    },
  },
});

export function walletRouter(deps: Deps): Router {
  const router = Router();
  router.use(['/v1', '/wallet/google'], express.json({ limit: '256kb' }));

  router.post('/v1/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier/:serialNumber', async (req, res) => {
    try {
      const { params, body } = z.object({ params: registrationParams, body: registerBody }).parse({ params: req.params, body: req.body ?? {} });
      const { created } = await registerAppleDevice(deps, { ...params, authorization: req.header('authorization') }, body.pushToken);
      res.status(created ? 201 : 200).json({ message: `device ${created ? 'registered' : 'already registered'} for pass ${params.serialNumber}` });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.delete('/v1/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier/:serialNumber', async (req, res) => {
    try {
      const { params } = z.object({ params: registrationParams }).parse({ params: req.params });
      await unregisterAppleDevice(deps, { ...params, authorization: req.header('authorization') });
      res.json({ message: `device unregistered from pass ${params.serialNumber}` });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/v1/devices/:deviceLibraryIdentifier/registrations/:passTypeIdentifier', async (req, res) => {
    try {
      const { params, query } = z.object({ params: serialsParams, query: serialsQuery }).parse({ params: req.params, query: req.query });
      const result = await updatedAppleSerials(deps, { ...params, passesUpdatedSince: query.passesUpdatedSince });
      if (!result) res.status(204).end();
      else res.json(result);
    } catch (err) {
      sendError(res, err);
    }
  });

  router.post('/v1/log', (req, res) => {
    try {
      const { body } = z.object({ body: logBody }).parse({ body: req.body ?? {} });
      for (const line of body.logs) logger.warn({ source: 'apple-wallet-device' }, line);
      res.json({ message: `${body.logs.length} line(s) logged` });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.post('/wallet/google/callback', async (req, res) => {
    try {
      const r = await handleGoogleCallback(deps, req.body);
      res.json({
        message: r.applied ? `${r.eventType} of pass ${r.serialNumber} recorded` : `${r.eventType} of pass ${r.serialNumber} already received (same nonce); nothing changed`,
        applied: r.applied,
        status: r.status as 'Redeemed' | 'Removed' | null,
      });
    } catch (err) {
      sendError(res, err);
    }
  });
  return router;
}
