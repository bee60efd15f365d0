import { TestWorkflowEnvironment } from '@temporalio/testing';
import { STEWARD_SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import type { Log } from './cacheDir';
import { resolveTemporalCli } from './temporalCli';

export interface LocalTemporalOptions {
  /** SQLite file that keeps the server's state across restarts; in-memory when absent. */
  dbFilename?: string;
  /** gRPC port; a free one when absent. */
  port?: number;
  /** Web UI port; no UI when absent. */
  uiPort?: number;
  namespace?: string;
  /** The UI decodes Steward's encrypted payloads through this codec server (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
  log?: Log;
}

export interface LocalTemporal {
  address: string;
  namespace: string;
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/**
 * A real Temporal dev server (`temporal server start-dev`) with Steward's search attributes, for
 * `npm start` and the test suite alike. The CLI comes from resolveTemporalCli (env, PATH, cache or
 * a Go build); without one, the SDK downloads it (machines with internet).
 */
export async function startLocalTemporal(opts: LocalTemporalOptions = {}): Promise<LocalTemporal> {
  const cli = await resolveTemporalCli(opts.log);
  const namespace = opts.namespace ?? 'default';
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      namespace,
      ip: '127.0.0.1',
      port: opts.port,
      ui: opts.uiPort !== undefined,
      uiPort: opts.uiPort,
      dbFilename: opts.dbFilename,
      searchAttributes: STEWARD_SEARCH_ATTRIBUTES,
      log: { format: 'json', level: 'warn' },
      ...(opts.uiCodecEndpoint ? { extraArgs: ['--ui-codec-endpoint', opts.uiCodecEndpoint] } : {}),
    },
  });
  return {
    address: env.address,
    namespace,
    env,
    stop: () => env.teardown(),
  };
}
