import { z } from 'zod';
import { designStats, findPassDesignByTitle, getPassDesignByTitle, paginatePassDesigns, toPassDesign } from '../../../services/passDesigns';
import { getSerialNumberByPrefix } from '../../../services/serialSequences';
import { batchSize, nonEmpty, parseInput } from '../inputs';
import type { Resolvers } from '../schema';

export const passDesignResolvers: Resolvers = {
  Query: {
    async getOrganisationPassDesignByTitle(_root, { input }, { deps, principal }) {
      const { title } = parseInput(z.object({ title: nonEmpty }), input);
      const design = await getPassDesignByTitle(deps.db, principal.org, title);
      const stats = await designStats(deps.db, [design.id]);
      return toPassDesign(design, stats.get(design.id)!);
    },

    async getPaginatedPassDesigns(_root, { input }, { deps, principal }) {
      const cursor = parseInput(
        z.object({ batchSize, lastModifiedTimestamp: z.date().nullish(), lastDocID: z.string().uuid('must be a lastDocID returned by a previous page').nullish() }),
        input,
      );
      const page = await paginatePassDesigns(deps.db, principal.org, { ...cursor, lastTimestamp: cursor.lastModifiedTimestamp });
      const stats = await designStats(deps.db, page.rows.map((d) => d.id));
      return {
        passDesignDocs: page.rows.map((d) => toPassDesign(d, stats.get(d.id)!)),
        lastModifiedTimestamp: page.lastTimestamp,
        lastDocID: page.lastDocID,
      };
    },

    async verifyPassDesignTitleExists(_root, { input }, { deps, principal }) {
      const { passDesignTitle } = parseInput(z.object({ passDesignTitle: nonEmpty }), input);
      const design = await findPassDesignByTitle(deps.db, principal.org, passDesignTitle);
      return {
        message: design
          ? `Pass design title "${passDesignTitle}" already exists`
          : `Pass design title "${passDesignTitle}" does not exist and is available`,
      };
    },

    async getSerialNumberByPrefix(_root, { input }, { deps, principal }) {
      const { serialPrefix } = parseInput(z.object({ serialPrefix: nonEmpty }), input);
      return getSerialNumberByPrefix(deps.db, principal.org, serialPrefix);
    },
  },
};
