/**
 * Workflow interceptors for the workflow sandbox (bundled with workflows/, see src/temporal/worker.ts
 * bundleWorkflows): OpenTelemetry's, but only for a workflow whose start carried a trace context
 * (the `_tracer-data` header that src/telemetry/tracing.ts's client interceptor, or a traced parent
 * workflow, sets). With tracing off nobody sets it, so these load none of OpenTelemetry, create no
 * span, register no tracer and call no sink: the same bundle serves traced and untraced workers.
 * The header is in the history, so replays decide the same way.
 */
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptors, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

type OtelWorkflowModule = typeof import('@temporalio/interceptors-opentelemetry/lib/workflow');

/**
 * The trace context header (`TRACE_HEADER` of @temporalio/interceptors-opentelemetry, asserted
 * equal in a unit test), spelled here: importing it evaluated @opentelemetry/api too.
 */
export const TRACE_HEADER = '_tracer-data';

/**
 * OpenTelemetry's workflow interceptors, required by a traced workflow only. The sandbox evaluates
 * a workflow's modules each time the worker creates it (every task of a workflow not in its cache,
 * as 1,000 DCI subscriptions firing together are), and evaluating OpenTelemetry's SDK there was
 * ~13% of the workflow thread's CPU with tracing off.
 */
const otelWorkflow = (): OtelWorkflowModule => require('@temporalio/interceptors-opentelemetry/lib/workflow');

type Method = (input: unknown, next: (input: unknown) => unknown) => unknown;

/**
 * An interceptor whose methods are `own`'s, and for every other method the SDK calls, `target()`'s
 * when it has one, else straight to `next`. A proxy: it serves whatever methods the SDK calls
 * without the OpenTelemetry classes being loaded to list them.
 */
function forwardWhileTraced<T extends object>(target: () => T | undefined, own: Partial<T> = {}): T {
  return new Proxy(own as T, {
    get: (self, name): Method =>
      (self as Record<string | symbol, Method>)[name] ??
      ((input, next) => {
        const t = target() as Record<string | symbol, Method | undefined> | undefined;
        const method = t?.[name];
        return method ? method.call(t, input, next) : next(input);
      }),
  });
}

export const interceptors = (): WorkflowInterceptors => {
  // Per workflow execution: set when its start carried a trace context.
  let traced: { inbound: WorkflowInboundCallsInterceptor; outbound: WorkflowOutboundCallsInterceptor; otel: OtelWorkflowModule } | undefined;
  const inbound = forwardWhileTraced<WorkflowInboundCallsInterceptor>(() => traced?.inbound, {
    execute: (input, next) => {
      if (input.headers[TRACE_HEADER] === undefined) return next(input);
      const otel = otelWorkflow();
      traced = { inbound: new otel.OpenTelemetryInboundInterceptor(), outbound: new otel.OpenTelemetryOutboundInterceptor(), otel };
      return traced.inbound.execute!(input, next);
    },
  });
  return {
    inbound: [inbound],
    outbound: [forwardWhileTraced<WorkflowOutboundCallsInterceptor>(() => traced?.outbound)],
    internals: [
      {
        dispose: (input, next) => (traced ? new traced.otel.OpenTelemetryInternalsInterceptor().dispose(input, next) : next(input)),
      },
    ],
  };
};
