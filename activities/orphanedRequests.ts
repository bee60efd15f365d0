import type { Deps } from '../src/deps';
import { startOrphanedRequests } from '../src/services/orphanedRequests';

/** The orphan sweep: starts the workflows of staged requests that never got one. */
export function orphanedRequestActivities(deps: Deps) {
  return {
    async startOrphanedRequests(olderThanMs?: number) {
      return startOrphanedRequests(deps, { olderThanMs });
    },
  };
}
