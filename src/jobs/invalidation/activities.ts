import type { Deps } from '../../deps';
import { FileStore } from '../../services/files';
import { firstPendingRow, processInvalidationChunk } from './chunks';
import { expireScheduledInvalidation, finalizeInvalidation } from './service';

/**
 * Invalidation activities. `asOfMs` is the workflow's clock, so "due" means the same thing to the
 * timer and to the database (and time-skipping tests stay truthful).
 */
export function createInvalidationActivities(deps: Deps) {
  const files = new FileStore(deps.config);
  return {
    /** The rows `firstRow .. firstRow + size - 1` of the request (idempotent). */
    async processInvalidationChunk(requestId: string, firstRow: number, size: number, asOfMs?: number) {
      if (asOfMs === undefined) {
        // Scheduled by the code before parallel chunks as (requestId, size, asOfMs): the next `size` pending rows.
        const [legacySize, legacyAsOfMs] = [firstRow, size];
        const first = await firstPendingRow(deps.db, requestId);
        return processInvalidationChunk(deps.db, requestId, first ?? 1, legacySize, new Date(legacyAsOfMs));
      }
      return processInvalidationChunk(deps.db, requestId, firstRow, size, new Date(asOfMs));
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
