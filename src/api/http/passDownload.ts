import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps';
import { DEVICE_OSES, DeviceOS, openPassLink, unavailableReason } from '../../services/passDownload';
import type { PassLinks } from '../../services/passLinks';
import { errorBodySchema, registerRoute } from '../openapi';
import { PKPASS_CONTENT_TYPE } from '../../wallet/apple/pkpass';
import type { WalletPasses } from '../../wallet/walletPasses';
import { downloadPage } from './passDownloadPage';
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
    'Public: the link a distribution hands out (passDownloadLink) and the URL externalPassDownload returns. An available pass goes to its wallet: `deviceOS=Apple` or an iOS user agent gets the signed `.pkpass` (application/vnd.apple.pkpass), `deviceOS=Google` or Android a 302 to the "Save to Google Wallet" link; browsers otherwise get a page with both buttons, and a client that asks for JSON (Accept: application/json) what the link points to. Never shows the holder\'s details; an unavailable pass says why.',
  tags: ['Passes'],
  auth: 'none',
  schemas: {
    query,
    responses: {
      200: { description: 'the pass the link points to (JSON), the .pkpass (Apple), or the download page (HTML)', schema: passInfo },
      302: { description: 'to https://pay.google.com/gp/v/save/<JWT> (Google)' },
      400: { description: 'details missing, invalid or tampered with', schema: errorBodySchema },
      404: { description: 'the pass no longer exists', schema: errorBodySchema },
    },
  },
});

/** The wallet a request asks for: `deviceOS`, else the phone's own (iOS → Apple, Android → Google). */
export function walletOf(deviceOS: DeviceOS | undefined, userAgent: string | undefined): DeviceOS | null {
  if (deviceOS) return deviceOS;
  if (/\b(iPhone|iPad|iPod)\b/.test(userAgent ?? '')) return 'Apple';
  if (/\bAndroid\b/.test(userAgent ?? '')) return 'Google';
  return null;
}

/**
 * GET /pass-download?details=...: the public landing of a pass download link. An available pass
 * goes to its wallet: the signed .pkpass for Apple (deviceOS=Apple or an iOS browser), a redirect to
 * the "Save to Google Wallet" link for Google (deviceOS=Google or Android); anyone else gets a page
 * with both buttons. A client asking for JSON gets what the link points to; an unavailable pass says why.
 */
export function passDownloadRouter(deps: Deps, links: PassLinks, wallets: WalletPasses): Router {
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
        wallets: q.deviceOS ? [q.deviceOS] : wallets.google ? [...DEVICE_OSES] : ['Apple'],
      };
      res.setHeader('Cache-Control', 'no-store');
      const wantsJson = /json/.test(req.header('accept') ?? '') && req.accepts(['json', 'html']) === 'json';
      const wallet = walletOf(q.deviceOS, req.header('user-agent'));
      if (!wantsJson && !body.reason && wallet) {
        const content = await wallets.content(pass.serialNumber);
        if (content && wallet === 'Apple') {
          res.type(PKPASS_CONTENT_TYPE);
          res.setHeader('Content-Disposition', `attachment; filename="${pass.serialNumber}.pkpass"`);
          res.setHeader('Last-Modified', content.updatedAt.toUTCString());
          res.send(await wallets.pkpass(content));
          return;
        }
        const saveLink = content && (await wallets.googleSaveLink(content));
        if (saveLink) {
          res.redirect(302, saveLink);
          return;
        }
      }
      if (req.accepts(['json', 'html']) === 'html') {
        res.type('html').send(downloadPage(req.originalUrl, q.details, body));
        return;
      }
      res.json(body);
    } catch (err) {
      sendError(res, err, 'query');
    }
  });
  return router;
}
