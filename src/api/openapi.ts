import { z } from 'zod';

/**
 * The OpenAPI 3.1 document of Steward's REST routes, generated from the zod schemas the routes
 * validate with: each route module calls `registerRoute` next to its handler, so a route and its
 * documentation cannot drift apart. Served at GET /openapi.json.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteResponse {
  description: string;
  /** JSON body; omit for a body-less or non-JSON response. */
  schema?: z.ZodType;
  /** Non-JSON content type (e.g. text/plain for /metrics); with no schema it is a string. */
  contentType?: string;
}

export interface RouteDoc {
  method: HttpMethod;
  /** Express-style path: `/invoices/:invoiceNumber`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Which credentials the route needs: an organisation user's JWT, or none. */
  auth: 'bearer' | 'none';
  schemas: {
    params?: z.ZodObject;
    query?: z.ZodObject;
    headers?: z.ZodObject;
    body?: z.ZodType;
    responses: Record<number, RouteResponse>;
  };
}

const routes = new Map<string, RouteDoc>();

/** Adds a route to the document; registering the same method and path again replaces it. */
export function registerRoute(doc: RouteDoc): RouteDoc {
  routes.set(`${doc.method} ${doc.path}`, doc);
  return doc;
}

export function registeredRoutes(): RouteDoc[] {
  return [...routes.values()];
}

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Transforms (trim, upper-casing) have no JSON Schema form: the accepted shape is what matters.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

function parameters(where: 'path' | 'query' | 'header', schema: z.ZodObject | undefined) {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

// `\:` escapes a literal colon (e.g. seed 001's `operations:delete`).
const openApiPath = (expressPath: string) => expressPath.replace(/(?<!\\):([A-Za-z0-9_]+)/g, '{$1}').replace(/\\:/g, ':');

export function openApiDocument(opts: { version: string; serverUrl: string }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of [...routes.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const responses = Object.fromEntries(
      Object.entries(r.schemas.responses).map(([status, res]) => {
        const type = res.contentType ?? 'application/json';
        const content = res.schema || res.contentType ? { [type]: { schema: res.schema ? jsonSchema(res.schema, 'output') : { type: 'string' } } } : undefined;
        return [status, { description: res.description, ...(content ? { content } : {}) }];
      }),
    );
    const operation = {
      operationId: `${r.method}${openApiPath(r.path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: r.tags,
      security: r.auth === 'bearer' ? [{ bearerAuth: [] }] : [],
      parameters: [...parameters('path', r.schemas.params), ...parameters('query', r.schemas.query), ...parameters('header', r.schemas.headers)],
      ...(r.schemas.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.schemas.body, 'input') } } } } : {}),
      responses,
    };
    (paths[openApiPath(r.path)] ??= {})[r.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Steward REST API',
      version: opts.version,
      description: 'REST routes of Steward. The GraphQL API (seed 003) is at /query; its schema is available by introspection and in GraphiQL at /graphiql (development).',
    },
    servers: [{ url: opts.serverUrl }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

/** The JSON error body every REST route answers with (src/api/http/errors.ts). */
export const errorBodySchema = z.object({
  error: z.string().describe('BAD_USER_INPUT, NOT_FOUND, CONFLICT, FORBIDDEN, UNAUTHENTICATED or INTERNAL_SERVER_ERROR'),
  message: z.string(),
  field: z.string().optional().describe('dotted path of the offending input'),
});
