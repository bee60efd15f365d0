import type { RequestHandler } from 'express';
import { createHandler } from 'graphql-http/lib/use/express';
import type { Deps } from '../../deps';
import { FileStore } from '../../services/files';
import { PassLinks } from '../../services/passLinks';
import type { GraphQLContext } from './context';
import { limitedParse, limitRules } from './limits';
import { markUnavailable, withUnavailableStatus } from './unavailable';
import { billingResolvers } from './resolvers/billing';
import { catalogueResolvers } from './resolvers/catalogue';
import { distributionResolvers } from './resolvers/distribution';
import { invalidationResolvers } from './resolvers/invalidation';
import { passDesignResolvers } from './resolvers/passDesigns';
import { asyncIssuanceResolvers } from './resolvers/asyncIssuance';
import { passDownloadResolvers } from './resolvers/passDownload';
import { passUpdateResolvers } from './resolvers/passUpdates';
import { reportResolvers } from './resolvers/reports';
import { gdprResolvers } from './resolvers/gdpr';
import { auditReportResolvers } from './resolvers/auditReports';
import { buildExecutableSchema } from './schema';

/** GraphQL batching (an array of operations) multiplies every limit: one operation per request. */
export const refuseBatches: RequestHandler = (req, res, next) => {
  if (!Array.isArray(req.body)) return next();
  res.status(400).json({ errors: [{ message: 'GraphQL batching (a JSON array of operations) is not supported: send one operation per request', extensions: { code: 'BAD_REQUEST' } }] });
};

/** POST /query: seed 003's schema over graphql-http; runs after `requireUser`. */
export function graphqlHandler(deps: Deps): RequestHandler {
  const schema = buildExecutableSchema(
    passDesignResolvers,
    distributionResolvers,
    invalidationResolvers,
    catalogueResolvers,
    passDownloadResolvers,
    billingResolvers,
    reportResolvers,
    asyncIssuanceResolvers,
    passUpdateResolvers,
    gdprResolvers,
    auditReportResolvers,
  );
  const links = new PassLinks(deps.config);
  const files = new FileStore(deps.config);
  const introspection = deps.config.graphql.introspection ?? deps.config.env !== 'production';
  const rules = limitRules(introspection);
  return withUnavailableStatus(createHandler<GraphQLContext>({
    schema,
    parse: limitedParse,
    validationRules: (_req, _args, specified) => [...specified, ...rules],
    onOperation: markUnavailable,
    context: (req): GraphQLContext => ({
      principal: req.raw.principal!,
      requestId: req.raw.requestId,
      deps,
      links,
      files,
      idempotencyKey: req.raw.header('idempotency-key') || undefined,
    }),
  }));
}
