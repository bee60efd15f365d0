import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config';

/**
 * OpenTelemetry tracing across API → workflow → activity, on only when OTEL_EXPORTER_OTLP_ENDPOINT
 * is set: then the API opens a server span per request, the Temporal client carries the active
 * context into the workflow's start headers (StartWorkflow span), the workflow sandbox's
 * interceptors (src/telemetry/workflowInterceptors.ts) continue it (RunWorkflow, StartActivity) and
 * the worker's activity interceptor closes the chain (RunActivity). Everything is exported over
 * OTLP/HTTP (JSON) to <endpoint>/v1/traces. Off, this module installs nothing.
 */
export interface Tracing {
  tracer: Tracer;
  resource: Resource;
  /** Batches spans to the exporter; workflow spans reach it through the worker's `exporter` sink. */
  spanProcessor: SpanProcessor;
  /** Sends every finished span now (tests; before a process exits). */
  forceFlush(): Promise<void>;
  /** Flushes, stops the exporter and unregisters the global tracer provider and propagator. */
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

/** Installs tracing once per process when the configuration asks for it; undefined when it does not. */
export function installTracing(config: Config): Tracing | undefined {
  if (!config.tracing) return undefined;
  if (installed) return installed;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: config.tracing.serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.tracing.otlpEndpoint}/v1/traces` }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // AsyncLocalStorage context (the request's span is active in everything it awaits) and W3C traceparent.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const tracing: Tracing = {
    tracer: provider.getTracer('steward'),
    resource,
    spanProcessor,
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      if (installed !== tracing) return;
      installed = undefined;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  installed = tracing;
  return tracing;
}

/** The tracing installed in this process, if any. */
export function activeTracing(): Tracing | undefined {
  return installed;
}

/** Client interceptors: a StartWorkflow span whose context travels in the workflow's start headers. */
export function tracingClientInterceptors(tracing: Tracing): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] };
}

/**
 * Worker options: a RunActivity span per activity (child of the workflow's StartActivity span), and
 * the `exporter` sink through which the workflow sandbox hands its spans to our span processor.
 * The workflow-side interceptors are in the bundle always (src/temporal/worker.ts) and inert here.
 */
export function tracingWorkerOptions(tracing: Tracing): { activityInterceptors: ActivityInterceptorsFactory[]; sinks: InjectedSinks<any> } {
  return {
    activityInterceptors: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

/**
 * Express middleware: one server span per request (continuing the caller's W3C traceparent), active
 * while the request is served, so workflows started by it join the trace. Named after the route and,
 * for /query, the GraphQL operation (the metrics' bounded labels), with the request ID as attribute.
 */
export function tracingMiddleware(tracing: Tracing) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracing.tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: req.path, 'steward.request_id': req.requestId } },
      parent,
    );
    res.on('finish', () => {
      const route: string | undefined = res.locals.metricsRoute ?? (req.route ? `${req.baseUrl}${String(req.route.path)}` : undefined);
      const operation: string | undefined = res.locals.metricsOperation || undefined;
      span.updateName([req.method, route, operation].filter(Boolean).join(' '));
      if (route) span.setAttribute(ATTR_HTTP_ROUTE, route);
      if (operation) span.setAttribute('graphql.operation.name', operation);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
