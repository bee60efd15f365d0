import fs from 'node:fs';

/** Stops what globalSetup started (same global object) and removes the scratch folder. */
export default async function globalTeardown(): Promise<void> {
  const g = globalThis as Record<string, unknown>;
  const stops = (g.__stewardStops as (() => Promise<void>)[] | undefined) ?? [];
  for (const stop of stops.reverse()) await stop().catch((err) => process.stderr.write(`[test teardown] ${err}\n`));
  const scratch = g.__stewardScratch as string | undefined;
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}
