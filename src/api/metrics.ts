import fs from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { buildSchema, Kind, OperationDefinitionNode, parse } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { logger } from '../logger';
import type { FilterIndexes } from '../services/dci/filterIndex';

/**
 * Prometheus metrics of the API process: request counts and latencies by route and, for /query,
 * by GraphQL operation. One registry per process, shared by every app instance in it.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const requests = new Counter({
  name: 'steward_http_requests_total',
  help: 'HTTP requests served, by method, route, GraphQL operation and status code',
  labelNames: ['method', 'route', 'operation', 'status'] as const,
  registers: [registry],
});

const duration = new Histogram({
  name: 'steward_http_request_duration_seconds',
  help: 'HTTP request latency in seconds, by method, route and GraphQL operation',
  labelNames: ['method', 'route', 'operation'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** The DCI filter columns (src/services/dci/filterIndex.ts) of the apps created in this process: one in production. */
const filterColumns = new Set<FilterIndexes>();
const filterColumnsSum = (of: (c: FilterIndexes) => number) => [...filterColumns].reduce((n, c) => n + of(c), 0);

export function observeFilterColumns(columns: FilterIndexes): void {
  filterColumns.add(columns);
}

// Read from the columns when scraped: their counts only grow, so they are counters.
new Counter({
  name: 'steward_dci_filter_columns_searches_total',
  help: 'DCI searches answered from the registry filter columns in memory (the others run in PostgreSQL)',
  registers: [registry],
  collect() {
    this.reset();
    this.inc(filterColumnsSum((c) => c.used));
  },
});

new Counter({
  name: 'steward_dci_filter_columns_refreshes_total',
  help: 'Refreshes of the registry filter columns: patches (the records written since the full read) and full reads',
  labelNames: ['kind'] as const,
  registers: [registry],
  collect() {
    this.reset();
    this.inc({ kind: 'patch' }, filterColumnsSum((c) => c.patches));
    this.inc({ kind: 'full_read' }, filterColumnsSum((c) => c.builds));
  },
});

new Gauge({
  name: 'steward_dci_filter_columns_bytes',
  help: 'Bytes of typed arrays the registry filter columns hold in memory',
  registers: [registry],
  collect() {
    this.set(filterColumnsSum((c) => c.bytes()));
  },
});

let rootFields: Set<string> | undefined;
/** Query and Mutation field names of seed 003's schema: the only operation labels allowed. */
function knownRootFields(): Set<string> {
  if (!rootFields) {
    const schema = buildSchema(fs.readFileSync(path.join(__dirname, 'graphql', 'schema.graphql'), 'utf8'));
    rootFields = new Set([schema.getQueryType(), schema.getMutationType()].flatMap((t) => (t ? Object.keys(t.getFields()) : [])));
  }
  return rootFields;
}

/**
 * The operation label of a GraphQL request: the root fields it selects (e.g. "createNewBeacon").
 * Client-chosen operation names would make label values unbounded, so the label is the schema's
 * field names, "introspection" or "invalid", never free text.
 */
export function graphqlOperationLabel(body: unknown): string {
  const { query, operationName } = (body ?? {}) as { query?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return 'invalid';
  let ops: OperationDefinitionNode[];
  try {
    ops = parse(query, { noLocation: true }).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  } catch {
    return 'invalid';
  }
  const op = ops.length === 1 ? ops[0] : ops.find((o) => o.name?.value === operationName);
  if (!op) return 'invalid';
  const known = knownRootFields();
  const fields = new Set<string>();
  for (const sel of op.selectionSet.selections) {
    if (sel.kind !== Kind.FIELD) return 'invalid';
    const name = sel.name.value;
    if (name.startsWith('__')) fields.add('introspection');
    else if (known.has(name)) fields.add(name);
    else return 'invalid';
  }
  return [...fields].sort().join(',') || 'invalid';
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set by routes mounted with app.use, which leave req.route unset. */
    metricsRoute?: string;
    metricsOperation?: string;
  }
}

/** Times every request; labels are read when the response finishes. */
export function httpMetrics(req: Request, res: Response, next: NextFunction): void {
  const end = duration.startTimer();
  res.on('finish', () => {
    const route = res.locals.metricsRoute ?? (req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched');
    const operation = res.locals.metricsOperation ?? '';
    end({ method: req.method, route, operation });
    requests.inc({ method: req.method, route, operation, status: String(res.statusCode) });
  });
  next();
}

/** Names the route of a mounted router (app.use) for the metrics labels. */
export function metricsRoute(route: string) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.locals.metricsRoute = route;
    next();
  };
}

/** For /query: labels the request with its GraphQL operation (runs after the JSON body parser). */
export function labelGraphqlOperation(req: Request, res: Response, next: NextFunction): void {
  res.locals.metricsOperation = req.method === 'POST' ? graphqlOperationLabel(req.body) : graphqlOperationLabel(req.query);
  next();
}

/**
 * GET /metrics: this process's metrics, followed by the Temporal worker's (the SDK's Prometheus
 * exporter) when `workerMetricsUrl` names it (npm start sets it: worker and API share a process).
 */
export function metricsHandler(workerMetricsUrl: string | undefined) {
  return async (_req: Request, res: Response): Promise<void> => {
    let text = await registry.metrics();
    if (workerMetricsUrl) {
      try {
        const worker = await fetch(workerMetricsUrl, { signal: AbortSignal.timeout(2000) });
        if (worker.ok) text += `\n${await worker.text()}`;
      } catch (err) {
        logger.warn({ err, workerMetricsUrl }, 'worker metrics unavailable');
      }
    }
    res.type(registry.contentType).send(text);
  };
}
