import { TestWorkflowEnvironment } from '@temporalio/testing';

/**
 * A time-skipping Temporal test server (Java, from Maven Central; path resolved by globalSetup).
 * Falls back to the SDK's download on machines with internet.
 */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_TEST_SERVER_PATH;
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: path ? { type: 'existing-path', path } : { type: 'cached-download' } },
  });
}
