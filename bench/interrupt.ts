import { shutdownSignal } from '../src/bin/run';

/**
 * What a benchmark has started (embedded PostgreSQL, Temporal, API and worker processes), stopped
 * when the bench is interrupted (Ctrl-C, SIGTERM): the services are child processes that outlive
 * a bench killed mid-run and would hold their ports and CPU until found by hand.
 */
const stops = new Set<() => Promise<unknown>>();

/** Runs `stop` if the bench is interrupted before it returns the function this gives back. */
export function stopOnInterrupt(stop: () => Promise<unknown>): () => void {
  stops.add(stop);
  return () => stops.delete(stop);
}

/** Runs stops in reverse order of starting, each failure logged, none stopping the rest. */
export async function stopInReverse(stops: (() => Promise<unknown>)[]): Promise<void> {
  for (const stop of [...stops].reverse()) await stop().catch((err) => console.error(`bench: stopping: ${(err as Error).message}`));
}

/** Installed once by the bench entry point; a second signal exits at once. */
export function stopAllOnInterrupt(): void {
  void shutdownSignal().then(async (signal) => {
    console.error(`\nbench: ${signal}: stopping what the benchmark started`);
    await stopInReverse([...stops]);
    process.exit(130);
  });
}
