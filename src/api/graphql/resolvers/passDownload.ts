import { z } from 'zod';
import { DEVICE_OSES, externalPassDownloadUrl } from '../../../services/passDownload';
import { nonEmpty, parseInput } from '../inputs';
import type { Resolvers } from '../schema';

const externalPassDownloadRequest = z.object({
  deviceOS: z.enum(DEVICE_OSES, { error: `must be ${DEVICE_OSES.join(' or ')}` }),
  encryptedDetails: nonEmpty,
});

export const passDownloadResolvers: Resolvers = {
  Mutation: {
    async externalPassDownload(_root, { input }, { deps, principal, links }) {
      const url = await externalPassDownloadUrl(deps.db, links, principal.org, parseInput(externalPassDownloadRequest, input));
      return { message: url };
    },
  },
};
