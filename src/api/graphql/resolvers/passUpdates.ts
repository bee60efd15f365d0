import { updatePassPayloadSchema, updatePassUserDetailsSchema } from '../../../domain/passUpdates';
import { updatePassPayload, updatePassUserDetails } from '../../../services/passUpdates';
import { parseInput } from '../inputs';
import type { Resolvers } from '../schema';

export const passUpdateResolvers: Resolvers = {
  Mutation: {
    async updatePassPayload(_root, { input }, { deps, principal }) {
      return { message: await updatePassPayload(deps.db, principal, parseInput(updatePassPayloadSchema, input)) };
    },
    async updatePassUserDetails(_root, { input }, { deps, principal }) {
      return { message: await updatePassUserDetails(deps.db, principal, parseInput(updatePassUserDetailsSchema, input)) };
    },
  },
};
