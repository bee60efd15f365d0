import type { Deps } from '../../deps';
import { expireDuePasses, nextPendingExpiry } from './service';

/**
 * The expiry scheduler's activities. `asOfMs` is the workflow's clock, so "due" means the same
 * thing to the timer and to the database (and time-skipping tests stay truthful).
 */
export function createPassExpiryActivities(deps: Deps) {
  return {
    async nextPendingExpiry(): Promise<number | null> {
      return (await nextPendingExpiry(deps.db))?.getTime() ?? null;
    },
    async expireDuePasses(asOfMs: number): Promise<number> {
      return expireDuePasses(deps.db, new Date(asOfMs));
    },
  };
}

export type PassExpiryActivities = ReturnType<typeof createPassExpiryActivities>;
