/**
 * Runs `work` over the items with at most `concurrency` in flight; resolves when all are done.
 * `work` must not throw (pushes report their outcome as values).
 */
export async function forEachBounded<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}
