import path from 'node:path';
import { Router } from 'express';

/**
 * GET /graphiql (development only): the GraphiQL IDE against /query. Its prebuilt UMD files come
 * from node_modules (graphiql@3, react@18, react-dom@18) and are served from here: no CDN, so it
 * works offline and loads nothing from third parties.
 */
// Resolved through each package's package.json: their "exports" maps do not list the UMD files.
const inPackage = (pkg: string, file: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
const assets = (): Record<string, string> => ({
  'react.js': inPackage('react', 'umd/react.production.min.js'),
  'react-dom.js': inPackage('react-dom', 'umd/react-dom.production.min.js'),
  'graphiql.js': inPackage('graphiql', 'graphiql.min.js'),
  'graphiql.css': inPackage('graphiql', 'graphiql.min.css'),
});

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Steward GraphiQL</title>
  <style>body { height: 100%; margin: 0; width: 100%; overflow: hidden; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="/graphiql/assets/graphiql.css">
  <script src="/graphiql/assets/react.js"></script>
  <script src="/graphiql/assets/react-dom.js"></script>
  <script src="/graphiql/assets/graphiql.js"></script>
</head>
<body>
  <div id="graphiql">Loading GraphiQL...</div>
  <script>
    // /query needs a token: npm run admin -- token --org <org> --email <you> --roles Owner
    const fetcher = GraphiQL.createFetcher({ url: '/query' });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultEditorToolsVisibility: 'headers',
        shouldPersistHeaders: true,
        defaultHeaders: JSON.stringify({ Authorization: 'Bearer <paste a token from: npm run admin -- token ...>' }, null, 2),
        defaultQuery: '# Steward: seed 003 GraphQL API. Put your token in the Headers tab below.\\nquery Designs {\\n  getPaginatedPassDesigns(input: { batchSize: 10 }) {\\n    passDesignDocs { title serialPrefix totalDistributionCount }\\n    lastDocID\\n  }\\n}\\n',
      }),
    );
  </script>
</body>
</html>
`;

export function graphiqlRouter(): Router {
  const files = assets();
  const router = Router();
  router.get('/graphiql', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/graphiql/assets/:name', (req, res, next) => {
    const file = Object.hasOwn(files, req.params.name) ? files[req.params.name] : undefined;
    if (!file) return next();
    res.sendFile(file, { maxAge: '1d' });
  });
  return router;
}
