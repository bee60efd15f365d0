import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities';

const { databaseTime } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

/**
 * Sleeps for `delay` (durably: a Temporal timer), then asks an activity for the database's clock.
 * The smallest end-to-end check of the worker: timers, activities and PostgreSQL in one run.
 */
export async function scheduledPing(delay: string | number): Promise<{ firedAt: string }> {
  await sleep(delay as Parameters<typeof sleep>[0]);
  return { firedAt: await databaseTime() };
}
