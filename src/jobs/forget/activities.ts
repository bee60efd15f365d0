import type { Deps } from '../../deps';
import { erasePassPersonalData, expireForgottenPass } from './service';

/** GDPR forget activities: pass IDs in, counts out. */
export function createForgetActivities(deps: Deps) {
  return {
    async expireForgottenPass(passId: string) {
      return expireForgottenPass(deps.db, passId);
    },
    async erasePassPersonalData(passId: string) {
      return erasePassPersonalData(deps.db, [passId]);
    },
  };
}

export type ForgetActivities = ReturnType<typeof createForgetActivities>;
