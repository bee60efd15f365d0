/**
 * The workflow interceptors' forwarding (src/telemetry/workflowInterceptors.ts): untraced workflows
 * go straight to `next` without OpenTelemetry's workflow module being evaluated; a traced one loads
 * it and hands every call to its interceptors. Real spans from a traced batch are checked against a
 * real collector in test/integration/tracing.test.ts.
 */
import { TRACE_HEADER as LIBRARY_TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';

const OTEL_WORKFLOW = '@temporalio/interceptors-opentelemetry/lib/workflow';

/** The module under test with OpenTelemetry's workflow module replaced by recording classes. */
function load() {
  const calls: string[] = [];
  const state = { loaded: false };
  jest.resetModules();
  jest.doMock(OTEL_WORKFLOW, () => {
    state.loaded = true;
    return {
      OpenTelemetryInboundInterceptor: class {
        execute(input: unknown, next: (i: unknown) => unknown) {
          calls.push('otel inbound execute');
          return next(input);
        }
      },
      OpenTelemetryOutboundInterceptor: class {
        scheduleActivity(input: unknown, next: (i: unknown) => unknown) {
          calls.push('otel outbound scheduleActivity');
          return next(input);
        }
      },
      OpenTelemetryInternalsInterceptor: class {
        dispose(input: unknown, next: (i: unknown) => unknown) {
          calls.push('otel dispose');
          return next(input);
        }
      },
    };
  });
  const mod = require('../../src/telemetry/workflowInterceptors') as typeof import('../../src/telemetry/workflowInterceptors');
  return { mod, calls, state };
}

afterEach(() => jest.dontMock(OTEL_WORKFLOW));

describe('workflow interceptors', () => {
  it('spell the library trace header', () => {
    const { mod } = load();
    expect(mod.TRACE_HEADER).toBe(LIBRARY_TRACE_HEADER);
  });

  it('untraced: every call goes to next and OpenTelemetry is never loaded', async () => {
    const { mod, calls, state } = load();
    const i = mod.interceptors();
    const next = jest.fn((input: unknown) => ({ passed: input }));
    expect(await (i.inbound![0].execute as any)({ headers: {} }, next)).toEqual({ passed: { headers: {} } });
    expect((i.inbound![0].handleSignal as any)('signal', next)).toEqual({ passed: 'signal' });
    expect((i.outbound![0].scheduleActivity as any)('activity', next)).toEqual({ passed: 'activity' });
    expect((i.outbound![0].getLogAttributes as any)({ a: 1 }, next)).toEqual({ passed: { a: 1 } });
    expect((i.internals![0].dispose as any)('dispose', next)).toEqual({ passed: 'dispose' });
    expect(next).toHaveBeenCalledTimes(5);
    expect(state.loaded).toBe(false);
    expect(calls).toEqual([]);
  });

  it('traced: loads OpenTelemetry at execute and hands it the methods it has', async () => {
    const { mod, calls, state } = load();
    const i = mod.interceptors();
    const next = (input: unknown) => input;
    await (i.inbound![0].execute as any)({ headers: { [mod.TRACE_HEADER]: {} } }, next);
    expect(state.loaded).toBe(true);
    expect((i.outbound![0].scheduleActivity as any)('activity', next)).toBe('activity');
    // A method OpenTelemetry's interceptor lacks still reaches next.
    expect((i.outbound![0].startTimer as any)('timer', next)).toBe('timer');
    (i.internals![0].dispose as any)('dispose', next);
    expect(calls).toEqual(['otel inbound execute', 'otel outbound scheduleActivity', 'otel dispose']);
  });
});
