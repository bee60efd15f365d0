import { DefaultLogger, LogLevel, Runtime } from '@temporalio/worker';
import { logger } from '../logger';

let installed = false;

/**
 * Installs the Temporal Core runtime once per process, forwarding the SDK's and the workflows'
 * logs into our JSON logger (with workflowId/runId etc. as fields) and, when `metricsBindAddress`
 * is given, serving the SDK's own metrics (workflow/activity completions, latencies, task slots,
 * polls, sticky cache...) for Prometheus at http://<metricsBindAddress>/metrics.
 */
export function installTemporalRuntime(opts: { metricsBindAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const level = (process.env.TEMPORAL_LOG_LEVEL ?? 'INFO') as LogLevel;
  Runtime.install({
    // Our entry points own SIGINT/SIGTERM and stop things in order (worker, then connections,
    // then the embedded servers); the SDK's own handler would race them.
    shutdownSignals: [],
    logger: new DefaultLogger(level, (entry) => {
      const method = entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      logger[method]({ ...entry.meta, source: 'temporal' }, entry.message);
    }),
    ...(opts.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: opts.metricsBindAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } }
      : {}),
  });
}
