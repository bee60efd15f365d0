import http from 'node:http';
import net from 'node:net';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Client, Connection } from '@temporalio/client';
import { buildDeps, closeDeps, listen } from '../../src/bootstrap';
import { createApp } from '../../src/api/app';
import { registeredRoutes } from '../../src/api/openapi';
import { loadConfig } from '../../src/config';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';
import { startPostgresProcess } from '../helpers/postgresProcess';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('operability: metrics, health, OpenAPI, GraphiQL', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  it('counts and times API requests by route and GraphQL operation', async () => {
    const { org } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    for (let i = 0; i < 3; i++) await gql(h.baseUrl, token, `query { getPaginatedBeacons(input: { batchSize: 5 }) { lastDocID } }`);
    await gql(h.baseUrl, token, `query Mine { verifyBeaconExists(input: { title: "x" }) { message } verifyLocationExists(input: { title: "y" }) { message } }`);
    await gql(h.baseUrl, token, `query { noSuchField }`);
    await gql(h.baseUrl, undefined, `query { getPaginatedBeacons(input: { batchSize: 5 }) { lastDocID } }`);
    await fetch(`${h.baseUrl}/pass-download`);

    const res = await fetch(`${h.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    const count = (labels: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`steward_http_requests_total{${labels}}`));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    expect(count('method="POST",route="/query",operation="getPaginatedBeacons",status="200"')).toBeGreaterThanOrEqual(3);
    expect(count('method="POST",route="/query",operation="verifyBeaconExists,verifyLocationExists",status="200"')).toBeGreaterThanOrEqual(1);
    expect(count('method="POST",route="/query",operation="invalid",status="200"')).toBeGreaterThanOrEqual(1);
    // Unauthenticated: rejected before the body is read, so no operation label.
    expect(count('method="POST",route="/query",operation="",status="401"')).toBeGreaterThanOrEqual(1);
    expect(count('method="GET",route="/pass-download",operation="",status="400"')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/steward_http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/query",operation="getPaginatedBeacons"\}/);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('/readyz and /healthz check PostgreSQL and Temporal; /livez only the process', async () => {
    for (const p of ['/readyz', '/healthz']) {
      const res = await fetch(`${h.baseUrl}${p}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', failed: [], checks: { postgres: { ok: true }, temporal: { ok: true } } });
    }
    expect(await (await fetch(`${h.baseUrl}/livez`)).json()).toEqual({ status: 'ok' });
  });

  it('/healthz fails with 503 naming PostgreSQL when PostgreSQL is stopped', async () => {
    const pg = await startPostgresProcess();
    const config = loadConfig();
    const deps = await buildDeps(config, { databaseUrl: pg.url, temporalAddress: config.temporal.address });
    const api = await listen(deps, 0);
    try {
      const up = await fetch(`http://127.0.0.1:${api.port}/healthz`);
      expect(up.status).toBe(200);
      await pg.stop();
      const down = await fetch(`http://127.0.0.1:${api.port}/healthz`);
      expect(down.status).toBe(503);
      const body = await down.json();
      expect(body).toMatchObject({ status: 'unavailable', failed: ['postgres'], checks: { postgres: { ok: false, error: expect.any(String) }, temporal: { ok: true } } });
      expect((await fetch(`http://127.0.0.1:${api.port}/readyz`)).status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${api.port}/livez`)).status).toBe(200);
    } finally {
      await api.close();
      await closeDeps(deps);
      await pg.stop();
    }
  });

  it('/readyz fails naming Temporal when its frontend does not answer', async () => {
    const closedPort = await freePort();
    const temporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${closedPort}` }) });
    const server = http.createServer(createApp({ ...h.deps, temporal }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ failed: ['temporal'], checks: { postgres: { ok: true }, temporal: { ok: false, error: expect.any(String) } } });
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('serves an OpenAPI 3.1 document of the REST routes that a validator accepts', async () => {
    const res = await fetch(`${h.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/pass-download', '/healthz', '/readyz', '/livez', '/metrics', '/openapi.json']));
    // Every registered route is in the document, with the parameters its zod schema declares.
    expect(Object.values(doc.paths).flatMap((p) => Object.keys(p as object))).toHaveLength(registeredRoutes().length);
    const download = doc.paths['/pass-download'].get;
    expect(download.parameters).toEqual([
      expect.objectContaining({ name: 'details', in: 'query', required: true, schema: expect.objectContaining({ type: 'string', minLength: 1 }) }),
      expect.objectContaining({ name: 'deviceOS', in: 'query', required: false, schema: expect.objectContaining({ enum: ['Apple', 'Google'] }) }),
    ]);
    expect(download.responses['200'].content['application/json'].schema.properties.status.enum).toEqual(['Available', 'Invalidated', 'NotYetAvailable', 'LinkExpired']);
  });

  it('serves GraphiQL with its bundled assets (no CDN) in development only', async () => {
    const devApp = createApp({ ...h.deps, config: { ...h.deps.config, env: 'development' } });
    const server = http.createServer(devApp);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const page = await fetch(`${base}/graphiql`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      expect(urls.sort()).toEqual(['/graphiql/assets/graphiql.css', '/graphiql/assets/graphiql.js', '/graphiql/assets/react-dom.js', '/graphiql/assets/react.js']);
      for (const u of urls) {
        const asset = await fetch(`${base}${u}`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get('content-type')).toMatch(u.endsWith('.css') ? /text\/css/ : /javascript/);
        expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(1000);
      }
      expect((await fetch(`${base}/graphiql/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
    } finally {
      server.close();
      server.closeAllConnections();
    }
    // The harness runs with NODE_ENV=test: no GraphiQL.
    expect((await fetch(`${h.baseUrl}/graphiql`)).status).toBe(404);
  });
});
