import fs from 'node:fs';
import path from 'node:path';
import express, { NextFunction, Request, Response } from 'express';
import type { Deps } from '../deps';
import { logger } from '../logger';
import { PassLinks } from '../services/passLinks';
import { dciRouter } from './dci/router';
import { graphqlHandler, refuseBatches } from './graphql/handler';
import { claimGraphqlHandler } from './graphql/claimHandler';
import { requireUser } from './http/auth';
import { fileDownloads } from './http/files';
import { graphqlMultipart } from './http/multipart';
import { httpMetrics, labelGraphqlOperation, metricsHandler, metricsRoute, observeFilterColumns } from './metrics';
import { openApiDocument, registerRoute } from './openapi';
import { graphiqlRouter } from './http/graphiql';
import { healthRouter } from './http/health';
import { invoicesRouter } from './http/invoices';
import { codecRouter } from './http/codec';
import { oauthRouter } from './http/oauth';
import { consumerOperationsRouter } from './http/consumerOperations';
import { passDownloadRouter } from './http/passDownload';
import { requestContext } from './http/requestContext';
import { graphqlTooMany, limiter, oauthTooMany, restTooMany } from './http/rateLimits';
import { dciTooMany } from './dci/router';
import { walletRouter } from './http/wallet';
import { applePassesRouter } from './http/applePasses';
import { WalletPasses } from '../wallet/walletPasses';
import { tracingMiddleware } from '../telemetry/tracing';

const VERSION: string = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;

registerRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics: API requests by route and GraphQL operation, Node.js process, and the co-located worker\'s Temporal SDK metrics',
  tags: ['Operations'],
  auth: 'none',
  schemas: { responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain' } } },
});
registerRoute({
  method: 'get',
  path: '/openapi.json',
  summary: 'This document',
  tags: ['Operations'],
  auth: 'none',
  schemas: { responses: { 200: { description: 'OpenAPI 3.1 document of the REST routes' } } },
});

/** The HTTP API: every route and middleware, assembled in one place. */
export function createApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext);
  if (deps.tracing) app.use(tracingMiddleware(deps.tracing));
  app.use(httpMetrics);

  app.use(healthRouter(deps));
  app.get('/metrics', metricsHandler(deps.config.metrics.workerUrl));
  if (deps.filterIndexes) observeFilterColumns(deps.filterIndexes);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument({ version: VERSION, serverUrl: deps.config.publicBaseUrl }));
  });
  if (deps.config.env === 'development') app.use(graphiqlRouter());

  // Per-address rate limits of the unauthenticated routes, before any body is parsed (rateLimits.ts).
  app.use('/oauth/token', limiter('oauthPerAddress', oauthTooMany));
  app.use('/pass-download', limiter('passDownloadPerAddress', restTooMany));
  app.use('/v1/log', limiter('walletLogPerAddress', restTooMany));
  app.use('/claim/query', limiter('claimPerAddress', graphqlTooMany));
  app.use('/dci/:registry/registry', limiter('dciPerAddress', dciTooMany));

  // Checks the pass signing configuration now: a bad certificate stops the API at start-up.
  const wallets = new WalletPasses(deps.config, deps.db);
  app.use(passDownloadRouter(deps, new PassLinks(deps.config), wallets));
  app.use(applePassesRouter(wallets));
  app.use(invoicesRouter(deps));
  // Wallet events authenticate themselves (ApplePass token, Google's signature): no organisation token.
  app.use(walletRouter(deps));
  app.use(codecRouter(deps.config));
  app.use(oauthRouter(deps));
  app.use(consumerOperationsRouter(deps));

  // JSON bodies up to 40 MB: distributePassBatch may carry 100,000 rows inline.
  app.use(
    '/query',
    metricsRoute('/query'),
    requireUser(deps),
    graphqlMultipart,
    express.json({ limit: '40mb' }),
    labelGraphqlOperation,
    refuseBatches,
    graphqlHandler(deps),
  );
  app.get('/files/:id', requireUser(deps), fileDownloads(deps));
  // The issuee's claim (seed 000): no organisation token, the claim token authorises; room for a photo.
  app.use('/claim/query', express.json({ limit: '4mb' }), refuseBatches, claimGraphqlHandler(deps));
  // DCI registries (seed 002/004): messages carry their own signatures; no organisation token.
  app.use(dciRouter(deps));

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route for ${req.method} ${req.path}` });
  });
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.parse.failed') {
      res.status(400).json({ errors: [{ message: `request body is not valid JSON: ${err.message}` }] });
      return;
    }
    if (err.status === 413) {
      res.status(413).json({ errors: [{ message: 'request body is too large' }] });
      return;
    }
    logger.error({ err }, 'unhandled error');
    res.status(500).json({ error: 'internal_error', message: 'the request could not be completed' });
  });
  return app;
}
