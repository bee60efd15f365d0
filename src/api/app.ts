import express, { NextFunction, Request, Response } from 'express';
import type { Deps } from '../deps';
import { logger } from '../logger';
import { dciRouter } from './dci/router';
import { graphqlHandler } from './graphql/handler';
import { requireUser } from './http/auth';
import { requestContext } from './http/requestContext';

/** The HTTP API: every route and middleware, assembled in one place. */
export function createApp(deps: Deps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.use('/query', requireUser(deps), express.json({ limit: '2mb' }), graphqlHandler(deps));
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
