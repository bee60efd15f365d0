import { NativeConnection } from '@temporalio/worker';
import { Connection } from '@temporalio/client';
import { buildDeps, closeDeps } from '../bootstrap';
import { loadConfig } from '../config';
import { logger } from '../logger';
import { wakeExpiryScheduler } from '../jobs/passExpiry/client';
import { ensureSchedules } from '../temporal/schedules';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { installTemporalRuntime } from '../temporal/runtime';
import { createWorker } from '../temporal/worker';
import { run, shutdownSignal } from './run';

/** `npm run worker`: one Temporal worker (scale by running more), against existing services. */
run(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for npm run worker');
  installTemporalRuntime({ metricsBindAddress: config.metrics.temporalBindAddress });
  const address = config.temporal.address ?? 'localhost:7233';
  const deps = await buildDeps(config, { databaseUrl: config.databaseUrl, temporalAddress: address });
  await ensureSearchAttributes(deps.temporal!.connection as Connection, config.temporal.namespace);
  await ensureSchedules(deps.temporal!, { taskQueue: config.temporal.taskQueue });
  await wakeExpiryScheduler(deps.temporal!, config);
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker(deps, connection, { namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, workflowBundlePath: config.temporal.workflowBundlePath });
  logger.info({ taskQueue: config.temporal.taskQueue, address, metrics: config.metrics.temporalBindAddress }, 'worker started');
  const stopped = worker.run();
  await shutdownSignal();
  worker.shutdown();
  await stopped;
  await connection.close();
  await closeDeps(deps);
});
