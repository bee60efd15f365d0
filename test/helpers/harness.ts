import crypto from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { buildDeps, closeDeps, listen } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { Deps } from '../../src/deps';
import { wakeExpiryScheduler } from '../../src/jobs/passExpiry/client';
import { createWorker } from '../../src/temporal/worker';
import { CallbackReceiver } from './receiver';
import { signUserToken, Role } from '../../src/auth/tokens';
import { createOrganisation } from '../../src/services/organisations';
import { createPassDesign, defaultPresentation } from '../../src/services/passDesigns';

/**
 * One test file's Steward: the real API on a free port and a real worker on its own task queue,
 * against the Temporal server and PostgreSQL that globalSetup started.
 */
export interface Harness {
  deps: Deps;
  baseUrl: string;
  taskQueue: string;
  worker: Worker;
  /** A real HTTP server standing in for integrators' callback endpoints. */
  receiver: CallbackReceiver;
  receiverUrl: string;
  close(): Promise<void>;
}

export async function startHarness(opts: { worker?: boolean; /** OTLP/HTTP endpoint: tracing on for API and worker. */ otlpEndpoint?: string } = {}): Promise<Harness> {
  const taskQueue = `test-${crypto.randomUUID()}`;
  process.env.TEMPORAL_TASK_QUEUE = taskQueue;
  const config = loadConfig(opts.otlpEndpoint ? { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: opts.otlpEndpoint } : process.env);
  const deps = await buildDeps(config, { databaseUrl: config.databaseUrl!, temporalAddress: config.temporal.address! });
  const api = await listen(deps, 0);
  const receiver = new CallbackReceiver();
  const receiverUrl = await receiver.start();
  let worker: Worker | undefined;
  let connection: NativeConnection | undefined;
  let running: Promise<void> | undefined;
  if (opts.worker !== false) {
    connection = await NativeConnection.connect({ address: config.temporal.address! });
    worker = await createWorker(deps, connection, {
      namespace: config.temporal.namespace,
      taskQueue,
      workflowBundlePath: process.env.STEWARD_TEST_WORKFLOW_BUNDLE,
    });
    running = worker.run();
    await wakeExpiryScheduler(deps.temporal!, deps.config);
  }
  return {
    deps,
    baseUrl: `http://127.0.0.1:${api.port}`,
    taskQueue,
    worker: worker!,
    receiver,
    receiverUrl,
    async close() {
      await receiver.close();
      await api.close();
      if (worker) {
        worker.shutdown();
        await running;
        await connection!.close();
      }
      await closeDeps(deps);
    },
  };
}

/** A fresh organisation (unique ID per call) with one pass design; tests never share data. */
export async function createTestOrg(
  deps: Deps,
  opts: { fields?: string[]; prefix?: string; callbackUrl?: string; title?: string } = {},
) {
  const id = `org-${crypto.randomBytes(5).toString('hex')}`;
  const org = await createOrganisation(deps.db, { id, name: `Test ${id}`, callbackUrl: opts.callbackUrl });
  const fields = opts.fields ?? ['membership_number', 'membership_name'];
  const title = opts.title ?? 'Gym Membership';
  const prefix = opts.prefix ?? String(crypto.randomInt(10_000_000, 99_999_999));
  const design = await createPassDesign(deps.db, {
    organisationId: id,
    title,
    prefix,
    dynamicFieldKeys: fields,
    actor: 'test',
    presentation: defaultPresentation(org.name, title, fields, deps.config.publicBaseUrl),
  });
  return { org, design, prefix, title, fields };
}

export async function tokenFor(deps: Deps, org: string, roles: Role[] = ['Owner'], email = 'ops@example.test'): Promise<string> {
  return signUserToken(deps.jwtKeys, { org, email, roles }, { issuer: deps.config.jwt.issuer, audience: deps.config.jwt.audience });
}

export interface GqlResult<T = any> {
  status: number;
  body: { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** POST /query as a client would. */
export async function gql<T = any>(baseUrl: string, token: string | undefined, query: string, variables?: unknown): Promise<GqlResult<T>> {
  const res = await fetch(`${baseUrl}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as GqlResult<T>['body'] };
}

/** A GraphQL multipart request (the spec's operations + map + files), as upload clients send it. */
export async function gqlUpload<T = any>(
  baseUrl: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  file: { path: string; content: Buffer | string; filename?: string },
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify({ 0: [file.path] }));
  form.append('0', new Blob([file.content], { type: 'text/csv' }), file.filename ?? 'upload.csv');
  const res = await fetch(`${baseUrl}/query`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body: form });
  return { status: res.status, body: (await res.json()) as GqlResult<T>['body'] };
}

/** Polls until `check` returns a value (undefined, null and false mean "not yet"), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
