import { updatePassPayloadSchema, updatePassUserDetailsSchema } from '../../../domain/passUpdates';
import { updatePassPayload, updatePassUserDetails } from '../../../services/passUpdates';
import { startWalletPushes } from '../../../jobs/walletPushes/client';
import { parseInput } from '../inputs';
import type { Resolvers } from '../schema';

export const passUpdateResolvers: Resolvers = {
  Mutation: {
    async updatePassPayload(_root, { input }, { deps, principal }) {
      const parsed = parseInput(updatePassPayloadSchema, input);
      const message = await updatePassPayload(deps.db, principal, parsed);
      await startWalletPushes(deps, principal.org, parsed.serialNumber);
      return { message };
    },
    async updatePassUserDetails(_root, { input }, { deps, principal }) {
      const parsed = parseInput(updatePassUserDetailsSchema, input);
      const message = await updatePassUserDetails(deps.db, principal, parsed);
      await startWalletPushes(deps, principal.org, parsed.serialNumber);
      return { message };
    },
  },
};
