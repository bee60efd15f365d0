import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import { ConfigError, loadConfig } from '../../src/config';
import { TRACE_HEADER } from '../../src/telemetry/workflowInterceptors';
import { createTestOrg, eventually, Harness, startHarness, tokenFor } from '../helpers/harness';

const BATCH_MUTATION = `mutation DistributePassBatch($input: DistributionRequest) { distributePassBatch(input: $input) { message } }`;
const requestIdOf = (message: string) => /request ([0-9a-f-]{36})/.exec(message)![1];

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
}

/** A local OTLP/HTTP collector: keeps every span POSTed (as JSON) to /v1/traces. */
async function startOtlpReceiver() {
  const spans: OtlpSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    spans,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attr = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;

async function distributeOne(h: Harness, headers: Record<string, string> = {}) {
  const { org, title } = await createTestOrg(h.deps);
  const token = await tokenFor(h.deps, org.id);
  const res = await fetch(`${h.baseUrl}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({
      query: BATCH_MUTATION,
      variables: { input: { title, passDetails: [{ externalReferenceID: 'e1', dynamicFields: { membership_number: '1', membership_name: 'N' } }] } },
    }),
  });
  const body = (await res.json()) as { data: { distributePassBatch: { message: string } } };
  const handle = h.deps.temporal!.workflow.getHandle(`distribution-${org.id}-${requestIdOf(body.data.distributePassBatch.message)}`);
  await handle.result();
  return handle;
}

describe('tracing configuration', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT; the endpoint must be an http(s) URL', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({ otlpEndpoint: 'http://collector:4318', serviceName: 'steward' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 'steward-api' }).tracing?.serviceName).toBe('steward-api');
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: must be an http\(s\) URL/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: '' })).toThrow(/OTEL_SERVICE_NAME/);
  });
});

// Off first: tracing, once installed, is process-wide until shut down.
describe('tracing off (the default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('installs nothing: no tracer provider, no client or activity interceptor, no sink, no trace header', async () => {
    expect(h.deps.tracing).toBeUndefined();
    expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate().constructor.name).toBe('NoopTracerProvider');
    expect(h.deps.temporal!.options.interceptors.workflow ?? []).toHaveLength(0);
    expect(h.worker.options.interceptors.activity).toHaveLength(0);
    expect(Object.keys(h.worker.options.sinks ?? {})).not.toContain('exporter');
    // The workflow interceptors are in the (shared, prebuilt) bundle but see no trace context.
    const handle = await distributeOne(h);
    const history = await handle.fetchHistory();
    const started = history.events![0].workflowExecutionStartedEventAttributes!;
    expect(Object.keys(started.header?.fields ?? {})).not.toContain(TRACE_HEADER);
  });
});

describe('tracing on (OTLP/HTTP to a local collector)', () => {
  let h: Harness;
  let collector: Awaited<ReturnType<typeof startOtlpReceiver>>;
  beforeAll(async () => {
    collector = await startOtlpReceiver();
    h = await startHarness({ otlpEndpoint: collector.url });
  });
  afterAll(async () => {
    await h.close();
    await collector.close();
  });

  it('links the API request, StartWorkflow, RunWorkflow and RunActivity spans in one trace', async () => {
    const callerTraceId = crypto.randomBytes(16).toString('hex');
    const requestId = `trace-${crypto.randomUUID()}`;
    await distributeOne(h, { traceparent: `00-${callerTraceId}-${crypto.randomBytes(8).toString('hex')}-01`, 'x-request-id': requestId });

    const inTrace = await eventually(async () => {
      await h.deps.tracing!.forceFlush();
      const spans = collector.spans.filter((s) => s.traceId === callerTraceId);
      const names = spans.map((s) => s.name);
      // Spans arrive as each side ends them: wait for the last activity and every span's parent.
      const ids = new Set(spans.map((s) => s.spanId));
      const complete = spans.every((s) => !s.name.startsWith('RunActivity:') || ids.has(s.parentSpanId!));
      return names.includes('RunWorkflow:batchDistribution') && names.includes('RunActivity:finalizeDistribution') && complete ? spans : undefined;
    }, 30_000);
    const byName = (name: string) => inTrace.filter((s) => s.name === name);

    // The API's server span continues the caller's W3C traceparent and names the route and operation.
    const [api] = byName('POST /query distributePassBatch');
    expect(api).toBeDefined();
    expect(attr(api, 'steward.request_id')).toBe(requestId);
    expect(attr(api, 'http.route')).toBe('/query');
    const [start] = byName('StartWorkflow:batchDistribution');
    expect(start.parentSpanId).toBe(api.spanId);
    // A workflow task replayed on another worker (sticky cache eviction) opens a second RunWorkflow span.
    const runs = byName('RunWorkflow:batchDistribution');
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) expect(run.parentSpanId).toBe(start.spanId);
    // Every activity is started by a workflow run of this trace: the batch's own, or a child's
    // (the notification stage), whose RunWorkflow span hangs off the batch's run.
    const workflowRuns = inTrace.filter((s) => s.name.startsWith('RunWorkflow:'));
    const startActivities = inTrace.filter((s) => s.name.startsWith('StartActivity:'));
    expect(startActivities.filter((s) => runs.some((r) => r.spanId === s.parentSpanId)).length).toBeGreaterThan(0);
    for (const s of startActivities) expect(workflowRuns.map((r) => r.spanId)).toContain(s.parentSpanId);
    const runActivities = inTrace.filter((s) => s.name.startsWith('RunActivity:'));
    expect(runActivities.map((s) => s.name)).toEqual(expect.arrayContaining(['RunActivity:processDistributionChunk', 'RunActivity:finalizeDistribution']));
    for (const s of runActivities) expect(startActivities.map((p) => p.spanId)).toContain(s.parentSpanId);
  });
});
