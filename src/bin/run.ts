import { ConfigError } from '../config';
import { StartupError } from '../dev/preflight';
import { logger } from '../logger';

/**
 * Runs an entry point: clear one-line message for configuration errors, the stack otherwise,
 * and a non-zero exit code either way.
 */
export function run(main: () => Promise<void>): void {
  main().catch((err) => {
    if (err instanceof ConfigError || err instanceof StartupError) console.error(err.message);
    else logger.fatal({ err }, 'fatal error');
    process.exit(1);
  });
}

/** Resolves on the first SIGINT/SIGTERM; a second one forces exit. */
export function shutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: string) => {
      if (received) process.exit(130);
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
