import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../src/config';
import { buildDeps, closeDeps } from '../../src/bootstrap';
import type { Deps } from '../../src/deps';
import { createTimeSkippingEnv, timeSkippingWorker } from '../helpers/timeSkipping';

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  let deps: Deps;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    const config = loadConfig();
    deps = await buildDeps(config, { databaseUrl: config.databaseUrl! });
  });
  afterAll(async () => {
    await closeDeps(deps);
    await env?.teardown();
  });

  it('completes a workflow that sleeps 30 days in seconds', async () => {
    const worker = await timeSkippingWorker(env, deps, 'time-skipping', {
    });
    const startedAt = await env.currentTimeMs();
    const wallStart = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute('scheduledPing', { args: ['30 days'], taskQueue: 'time-skipping', workflowId: 'ping-30-days' }),
    );
    const skipped = (await env.currentTimeMs()) - startedAt;
    expect(skipped).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
    expect(Date.now() - wallStart).toBeLessThan(300_000); // skipped, not slept (generous: a loaded machine)
    expect(new Date(result.firedAt).getTime()).not.toBeNaN(); // the activity reached real PostgreSQL
  });
});
