import { z } from 'zod';
import { distributeIndividual } from '../../../services/distribution';
import { getPassesByExternalRefID } from '../../../services/passes';
import { nonEmpty, parseInput } from '../inputs';
import type { Resolvers } from '../schema';

const distributionRequest = z.object({
  title: nonEmpty,
  // Rows are validated one by one against the design, so a bad row fails alone.
  passDetails: z.array(z.unknown()),
  startTime: z.date().nullish(),
  endTime: z.date().nullish(),
});

export const distributionResolvers: Resolvers = {
  Query: {
    async getPassesByExternalRefID(_root, { input }, { deps, principal }) {
      const { externalReferenceID } = parseInput(z.object({ externalReferenceID: nonEmpty }), input);
      return getPassesByExternalRefID(deps.db, principal.org, externalReferenceID);
    },
  },
  Mutation: {
    async distributeIndividualPass(_root, { input }, { deps, principal, links }) {
      return distributeIndividual(deps.db, links, principal, parseInput(distributionRequest, input));
    },
  },
};
