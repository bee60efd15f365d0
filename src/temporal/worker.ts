import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { Deps } from '../deps';
import { stewardDataConverter } from './codec';

export interface WorkerOptions {
  namespace: string;
  taskQueue: string;
  /** A prebuilt workflow bundle (tests build one once); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
}

/** Path of the module that exports every workflow; the SDK bundles it for the workflow sandbox. */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

/** One worker (the caller owns `connection`): all of Steward's workflows and activities on one task queue. */
export async function createWorker(deps: Deps, connection: NativeConnection, opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(deps),
    // Payloads are encrypted in histories: the same codec as every client (src/temporal/codec.ts).
    dataConverter: stewardDataConverter(deps.config),
    ...(opts.workflowBundlePath ? { workflowBundle: { codePath: opts.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
  });
}
