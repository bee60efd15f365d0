/**
 * Workflow interceptors for the workflow sandbox (bundled with workflows/, see src/temporal/worker.ts
 * bundleWorkflows): OpenTelemetry's, but only for a workflow whose start carried a trace context
 * (the `_tracer-data` header that src/telemetry/tracing.ts's client interceptor, or a traced parent
 * workflow, sets). With tracing off nobody sets it, so these create no span, register no tracer and
 * call no sink: the same bundle serves traced and untraced workers. The header is in the history,
 * so replays decide the same way.
 */
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptors, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

type Method = (input: unknown, next: (input: unknown) => unknown) => unknown;

/**
 * An interceptor with every method of `prototype` that hands the call to `target()` when it exists
 * and straight to `next` otherwise (the method list follows the library's, whatever its version).
 */
function forwardWhileTraced<T extends object>(prototype: T, target: () => T | undefined): T {
  const forwarder: Record<string, Method> = {};
  for (const name of Object.getOwnPropertyNames(prototype)) {
    if (name === 'constructor') continue;
    forwarder[name] = (input, next) => {
      const t = target() as Record<string, Method> | undefined;
      return t ? t[name].call(t, input, next) : next(input);
    };
  }
  return forwarder as unknown as T;
}

export const interceptors = (): WorkflowInterceptors => {
  // Per workflow execution: set when its start carried a trace context.
  let traced: { inbound: OpenTelemetryInboundInterceptor; outbound: OpenTelemetryOutboundInterceptor } | undefined;
  const inbound = forwardWhileTraced<WorkflowInboundCallsInterceptor>(OpenTelemetryInboundInterceptor.prototype, () => traced?.inbound);
  inbound.execute = (input, next) => {
    if (input.headers[TRACE_HEADER] === undefined) return next(input);
    traced = { inbound: new OpenTelemetryInboundInterceptor(), outbound: new OpenTelemetryOutboundInterceptor() };
    return traced.inbound.execute(input, next);
  };
  return {
    inbound: [inbound],
    outbound: [forwardWhileTraced<WorkflowOutboundCallsInterceptor>(OpenTelemetryOutboundInterceptor.prototype, () => traced?.outbound)],
    internals: [
      {
        dispose: (input, next) => (traced ? new OpenTelemetryInternalsInterceptor().dispose(input, next) : next(input)),
      },
    ],
  };
};
