import { OrganisationId, RequestId } from '../../src/temporal/searchAttributes';
import { Harness, startHarness } from '../helpers/harness';

describe('worker on the real Temporal dev server', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('runs a workflow with a timer and an activity, findable by search attributes', async () => {
    const client = h.deps.temporal!;
    const handle = await client.workflow.start('scheduledPing', {
      args: ['1 second'],
      taskQueue: h.taskQueue,
      workflowId: `ping-${h.taskQueue}`,
      typedSearchAttributes: [
        { key: OrganisationId, value: 'org-ping' },
        { key: RequestId, value: h.taskQueue },
      ],
    });
    const result = await handle.result();
    expect(new Date(result.firedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const desc = await handle.describe();
    expect(desc.typedSearchAttributes.get(OrganisationId)).toBe('org-ping');
  });
});
