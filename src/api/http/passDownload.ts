import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps';
import { DEVICE_OSES, openPassLink, unavailableReason } from '../../services/passDownload';
import type { PassLinks } from '../../services/passLinks';
import { errorBodySchema, registerRoute } from '../openapi';
import { sendError } from './errors';

const query = z.object({
  details: z.string({ error: 'is required' }).min(1, 'is required').describe('the passApiKey of the pass, as in its passDownloadLink'),
  deviceOS: z.enum(DEVICE_OSES, { error: `must be ${DEVICE_OSES.join(' or ')}` }).optional().describe('the wallet the link was made for (externalPassDownload)'),
});

const passInfo = z.object({
  serialNumber: z.string(),
  passDesignTitle: z.string(),
  issuingOrganisation: z.string(),
  status: z.enum(['Available', 'Invalidated', 'NotYetAvailable', 'LinkExpired']),
  reason: z.string().nullable().describe('why the pass cannot be downloaded now, when it cannot'),
  availableFrom: z.string().nullable(),
  availableUntil: z.string().nullable(),
  deviceOS: z.enum(DEVICE_OSES).nullable(),
  wallets: z.array(z.enum(DEVICE_OSES)),
});

registerRoute({
  method: 'get',
  path: '/pass-download',
  summary: 'What a pass download link points to',
  description:
    'Public: the link a distribution hands out (passDownloadLink) and the URL externalPassDownload returns. Tells which pass it is and whether it can be downloaded; never shows the holder\'s details. Browsers get a small HTML page, other clients JSON.',
  tags: ['Passes'],
  auth: 'none',
  schemas: {
    query,
    responses: {
      200: { description: 'the pass the link points to', schema: passInfo },
      400: { description: 'details missing, invalid or tampered with', schema: errorBodySchema },
      404: { description: 'the pass no longer exists', schema: errorBodySchema },
    },
  },
});

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** GET /pass-download?details=...: the public landing of a pass download link. */
export function passDownloadRouter(deps: Deps, links: PassLinks): Router {
  const router = Router();
  router.get('/pass-download', async (req, res) => {
    try {
      const q = query.parse(req.query);
      const pass = await openPassLink(deps.db, links, q.details, 'query.details');
      const body: z.infer<typeof passInfo> = {
        serialNumber: pass.serialNumber,
        passDesignTitle: pass.passDesignTitle,
        issuingOrganisation: pass.organisationName,
        status: pass.status,
        reason: unavailableReason(pass),
        availableFrom: pass.availableFrom?.toISOString() ?? null,
        availableUntil: pass.availableUntil?.toISOString() ?? null,
        deviceOS: q.deviceOS ?? null,
        wallets: q.deviceOS ? [q.deviceOS] : [...DEVICE_OSES],
      };
      res.setHeader('Cache-Control', 'no-store');
      if (req.accepts(['json', 'html']) === 'html') {
        res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(body.passDesignTitle)}</title></head>
<body><h1>${escape(body.passDesignTitle)}</h1><p>Issued by ${escape(body.issuingOrganisation)} &middot; pass ${escape(body.serialNumber)}</p>
<p>${body.reason ? escape(body.reason) : `Add it to ${body.wallets.map((w) => `${w} Wallet`).join(' or ')}.`}</p></body></html>`);
        return;
      }
      res.json(body);
    } catch (err) {
      sendError(res, err, 'query');
    }
  });
  return router;
}
