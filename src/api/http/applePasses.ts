import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../services/errors';
import { sameSecret } from '../../services/appleWallet';
import { PKPASS_CONTENT_TYPE } from '../../wallet/apple/pkpass';
import type { WalletPasses } from '../../wallet/walletPasses';
import { errorBodySchema, registerRoute } from '../openapi';
import { sendError } from './errors';

const params = z.object({
  passTypeIdentifier: z.string().regex(/^[A-Za-z0-9.-]{1,255}$/, 'must be a pass type identifier such as pass.io.steward.acme'),
  serialNumber: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a serial number'),
});
const headers = z.object({
  authorization: z.string().optional().describe('ApplePass <authenticationToken of the pass>'),
  'if-modified-since': z.string().optional().describe('the Last-Modified of the copy the device has'),
});

registerRoute({
  method: 'get',
  path: '/v1/passes/:passTypeIdentifier/:serialNumber',
  summary: 'The latest version of a pass (signed .pkpass)',
  description: 'Apple Wallet asks for it after a push or a pull-to-refresh. `Last-Modified` is the pass\'s update tag; `If-Modified-Since` at or after it answers 304.',
  tags: ['Apple Wallet web service'],
  auth: 'none',
  schemas: {
    params,
    headers,
    responses: {
      200: { description: 'the pass', contentType: PKPASS_CONTENT_TYPE },
      304: { description: 'not modified since If-Modified-Since' },
      400: { description: 'a parameter breaks a rule', schema: errorBodySchema },
      401: { description: 'no or wrong ApplePass token for this pass', schema: errorBodySchema },
      404: { description: 'no pass with this serial number and pass type identifier', schema: errorBodySchema },
    },
  },
});

/** PassKit web service: GET /v1/passes/{passTypeIdentifier}/{serialNumber} (Apple's "Send an Updated Pass"). */
export function applePassesRouter(wallets: WalletPasses): Router {
  const router = Router();
  router.get('/v1/passes/:passTypeIdentifier/:serialNumber', async (req, res) => {
    try {
      const p = params.parse(req.params);
      const content = await wallets.content(p.serialNumber);
      if (!content || wallets.passTypeIdentifier(content) !== p.passTypeIdentifier) {
        throw new DomainError('NOT_FOUND', `no pass ${p.serialNumber} of pass type ${p.passTypeIdentifier}`, 'params.serialNumber');
      }
      const token = /^ApplePass (\S+)$/.exec(req.header('authorization') ?? '')?.[1];
      if (!token || !sameSecret(token, content.authenticationToken)) {
        throw new DomainError('UNAUTHENTICATED', 'requires "Authorization: ApplePass <authenticationToken>" of this pass', 'headers.authorization');
      }
      // HTTP dates have whole seconds: the copy is current when its date is at or after the tag's second.
      const modified = Math.floor(content.updatedAt.getTime() / 1000);
      const since = Date.parse(req.header('if-modified-since') ?? '');
      res.setHeader('Last-Modified', new Date(modified * 1000).toUTCString());
      res.setHeader('Cache-Control', 'no-cache');
      if (!Number.isNaN(since) && Math.floor(since / 1000) >= modified) {
        res.status(304).end();
        return;
      }
      res.type(PKPASS_CONTENT_TYPE).send(await wallets.pkpass(content));
    } catch (err) {
      sendError(res, err, 'params');
    }
  });
  return router;
}
