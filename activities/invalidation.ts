import type { Deps } from '../src/deps';
import { FileStore } from '../src/services/files';
import { expireScheduledInvalidation, finalizeInvalidation, processInvalidationChunk } from '../src/services/invalidation';
import { expireDuePasses, nextPendingExpiry } from '../src/services/passExpiry';

/**
 * Invalidation and expiry activities. `asOfMs` is the workflow's clock, so "due" means the same
 * thing to the timer and to the database (and time-skipping tests stay truthful).
 */
export function invalidationActivities(deps: Deps) {
  const files = new FileStore(deps.config);
  return {
    async processInvalidationChunk(requestId: string, size: number, asOfMs: number) {
      return processInvalidationChunk(deps.db, requestId, size, new Date(asOfMs));
    },
    async finalizeInvalidation(requestId: string, asOfMs: number) {
      return finalizeInvalidation(deps.db, files, requestId, new Date(asOfMs));
    },
    async expireScheduledInvalidation(requestId: string, asOfMs: number) {
      return expireScheduledInvalidation(deps.db, requestId, new Date(asOfMs));
    },
    async nextPendingExpiry(): Promise<number | null> {
      return (await nextPendingExpiry(deps.db))?.getTime() ?? null;
    },
    async expireDuePasses(asOfMs: number): Promise<number> {
      return expireDuePasses(deps.db, new Date(asOfMs));
    },
  };
}
