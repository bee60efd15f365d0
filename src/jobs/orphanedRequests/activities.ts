import type { Deps } from '../../deps';
import { startOrphanedRequests } from './service';

/** The orphan sweep: starts the workflows of staged requests that never got one. */
export function createOrphanedRequestActivities(deps: Deps) {
  return {
    async startOrphanedRequests(olderThanMs?: number) {
      return startOrphanedRequests(deps, { olderThanMs });
    },
  };
}

export type OrphanedRequestActivities = ReturnType<typeof createOrphanedRequestActivities>;
