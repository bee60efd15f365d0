import type { Deps } from '../../deps';
import { FileStore } from '../../services/files';
import { expireScheduledInvalidation, finalizeInvalidation, processInvalidationChunk } from './service';

/**
 * Invalidation activities. `asOfMs` is the workflow's clock, so "due" means the same thing to the
 * timer and to the database (and time-skipping tests stay truthful).
 */
export function createInvalidationActivities(deps: Deps) {
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
  };
}

export type InvalidationActivities = ReturnType<typeof createInvalidationActivities>;
