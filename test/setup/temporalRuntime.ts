import { DefaultLogger, Runtime } from '@temporalio/worker';

// One Temporal Core runtime per test file's module registry, quiet unless something is wrong.
try {
  Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as 'WARN') ?? 'ERROR') });
} catch {
  // already installed in this registry
}
