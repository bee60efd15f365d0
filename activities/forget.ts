import type { Deps } from '../src/deps';
import { erasePassPersonalData, expireForgottenPass } from '../src/services/forget';

/** GDPR forget activities: pass IDs in, counts out. */
export function forgetActivities(deps: Deps) {
  return {
    async expireForgottenPass(passId: string) {
      return expireForgottenPass(deps.db, passId);
    },
    async erasePassPersonalData(passId: string) {
      return erasePassPersonalData(deps.db, [passId]);
    },
  };
}
