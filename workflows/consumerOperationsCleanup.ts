import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { removeOldConsumerOperations } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '10 minutes' },
});

/** Started daily by a Schedule: consumer operations older than 3 months are removed (seed 001). */
export async function consumerOperationsCleanup(): Promise<{ removed: number }> {
  return { removed: await removeOldConsumerOperations() };
}
