import { z } from 'zod';
import { forgetUserDetailsForPass } from '../../../jobs/forget/service';
import { nonEmpty, parseInput } from '../inputs';
import type { Resolvers } from '../schema';

export const gdprResolvers: Resolvers = {
  Mutation: {
    async forgetUserDetailsForPass(_root, { input }, { deps, principal }) {
      const { serialNumber } = parseInput(z.object({ serialNumber: nonEmpty.max(64, 'must be at most 64 characters') }), input);
      return { message: await forgetUserDetailsForPass(deps, principal, serialNumber) };
    },
  },
};
