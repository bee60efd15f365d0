import fs from 'node:fs';
import path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

/**
 * Contract checks against the official DCI OpenAPI files (spec/dci/current, copied from the
 * standard): request bodies of the registry's endpoints, their responses, and the bodies of the
 * callbacks Steward sends to the sender's endpoints (on-search, on-subscribe, notify, ...).
 * The FR file's on-subscribe path does not parse (`post: null`, see spec/dci/README.md), so FR
 * uses the DR file's on-subscribe shape, resolved against the FR components.
 */
type Registry = 'dr' | 'fr';
const SPEC_DIR = path.join(__dirname, '../../spec/dci/current');

function load(registry: Registry): Record<string, any> {
  return YAML.parse(fs.readFileSync(path.join(SPEC_DIR, `${registry}_api_v1.0.0.yaml`), 'utf8'));
}

const docs: Record<Registry, Record<string, any>> = { dr: load('dr'), fr: load('fr') };
docs.fr.paths['/registry/on-subscribe'] = docs.dr.paths['/registry/on-subscribe'];

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
for (const r of ['dr', 'fr'] as Registry[]) ajv.addSchema({ ...docs[r], $id: r });

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const cache = new Map<string, ValidateFunction>();

function validator(registry: Registry, ref: string): ValidateFunction {
  const key = `${registry}#/${ref}`;
  let v = cache.get(key);
  if (!v) {
    v = ajv.getSchema(key);
    if (!v) throw new Error(`no schema at ${key}`);
    cache.set(key, v);
  }
  return v;
}

function check(v: ValidateFunction, body: unknown, what: string): void {
  if (!v(body)) {
    throw new Error(`${what} does not conform to the DCI spec: ${ajv.errorsText(v.errors, { separator: '\n  ' })}\n${JSON.stringify(body, null, 1).slice(0, 3000)}`);
  }
}

/** A request body Steward accepts at `apiPath` (e.g. "/registry/search"). */
export function expectValidRequest(registry: Registry, apiPath: string, body: unknown): void {
  check(validator(registry, pointer('paths', apiPath, 'post', 'requestBody', 'content', 'application/json', 'schema')), body, `${registry} ${apiPath} request`);
}

/** A response Steward sent at `apiPath` with HTTP `status` (the documented status, else `default`). */
export function expectValidResponse(registry: Registry, apiPath: string, status: number, body: unknown): void {
  const responses = docs[registry].paths[apiPath].post.responses;
  const key = String(status) in responses ? String(status) : 'default';
  const response = responses[key];
  const ref = response.$ref
    ? pointer(...(response.$ref as string).slice(2).split('/'), 'content', 'application/json', 'schema')
    : pointer('paths', apiPath, 'post', 'responses', key, 'content', 'application/json', 'schema');
  check(validator(registry, ref), body, `${registry} ${apiPath} response ${status}`);
}

const CALLBACK_PATHS: Record<string, string> = {
  'on-search': '/registry/on-search',
  'on-subscribe': '/registry/on-subscribe',
  'on-unsubscribe': '/registry/on-unsubscribe',
  notify: '/registry/notify',
  'txn-on-status': '/registry/txn/on-status',
};

/** A callback Steward sent to a sender, checked as the request body of the sender's endpoint for its action. */
export function expectValidCallback(registry: Registry, body: { header?: { action?: string } }): void {
  const action = body.header?.action ?? '';
  const apiPath = CALLBACK_PATHS[action];
  if (!apiPath) throw new Error(`callback with unknown action "${action}"`);
  expectValidRequest(registry, apiPath, body);
}
