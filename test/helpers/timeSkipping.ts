import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { Deps } from '../../src/deps';
import type { Config } from '../../src/config';
import { stewardDataConverter } from '../../src/temporal/codec';
import { STEWARD_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes';

/**
 * A time-skipping Temporal test server (Java, from Maven Central; path resolved by globalSetup).
 * Falls back to the SDK's download on machines with internet.
 */
export async function createTimeSkippingEnv(opts: { encryptWith?: Config } = {}): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_TEST_SERVER_PATH;
  const create = () =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: path ? { type: 'existing-path', path } : { type: 'cached-download' } },
      // With a config, env.client encrypts payloads like Steward's clients (pair it with codecWorkerOptions).
      ...(opts.encryptWith ? { client: { dataConverter: stewardDataConverter(opts.encryptWith) } } : {}),
    });
  // The SDK gives the server 5 s to accept connections; a JVM on a busy machine can need more.
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (err) {
      if (attempt >= 4 || !/did not start within/.test(String((err as Error).message))) throw err;
    }
  }
}

/**
 * Registers Steward's search attributes on a time-skipping server, which refuses workflows that set
 * unknown ones and implements AddSearchAttributes but not ListSearchAttributes (so
 * ensureSearchAttributes cannot be used there).
 */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      STEWARD_SEARCH_ATTRIBUTES.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
}

/** Worker options that make a time-skipping worker encrypt payloads like Steward's workers do. */
export function codecWorkerOptions(config: Config) {
  return { dataConverter: stewardDataConverter(config) };
}


/**
 * A worker on a time-skipping env running Steward's real activities and the workflow bundle
 * globalSetup built. `extra` adds worker options (e.g. `maxCachedWorkflows: 0`, a codec).
 */
export function timeSkippingWorker(env: TestWorkflowEnvironment, deps: Deps, taskQueue: string, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: process.env.STEWARD_TEST_WORKFLOW_BUNDLE! },
    activities: createActivities(deps),
    ...extra,
  });
}
