import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { Deps } from '../deps';
import { tracingWorkerOptions } from '../telemetry/tracing';
import { stewardDataConverter } from './codec';

export interface WorkerOptions {
  namespace: string;
  taskQueue: string;
  /** A prebuilt workflow bundle (bundleWorkflows; tests build one once); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
}

/** Path of the module that exports every workflow; the SDK bundles it for the workflow sandbox. */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

/** Workflow interceptors every bundle carries: tracing, inert unless a workflow starts with a trace context. */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../telemetry/workflowInterceptors')];

/**
 * Builds the workflow bundle a worker can load with `workflowBundlePath` (tests, benchmarks, images).
 * `workflowsPath`: another entry module (the tests' bundle adds test-only workflows to Steward's).
 */
export function bundleWorkflows(logger?: Parameters<typeof bundleWorkflowCode>[0]['logger'], workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger });
}

/** One worker (the caller owns `connection`): all of Steward's workflows and activities on one task queue. */
export async function createWorker(deps: Deps, connection: NativeConnection, opts: WorkerOptions): Promise<Worker> {
  const tracing = deps.tracing ? tracingWorkerOptions(deps.tracing) : undefined;
  return Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(deps.config.temporal.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: deps.config.temporal.maxCachedWorkflows } : {}),
    activities: createActivities(deps),
    // Payloads are encrypted in histories: the same codec as every client (src/temporal/codec.ts).
    dataConverter: stewardDataConverter(deps.config),
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    interceptors: {
      // A prebuilt bundle has them already (bundleWorkflows); the SDK warns when given twice.
      ...(opts.workflowBundlePath ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
      ...(tracing ? { activity: tracing.activityInterceptors } : {}),
    },
    ...(tracing ? { sinks: tracing.sinks } : {}),
  });
}
