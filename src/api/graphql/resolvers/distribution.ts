import { z } from 'zod';
import type { Principal } from '../../../auth/tokens';
import type { Deps } from '../../../deps';
import { paginateDistributionRequests, stageBatchDistribution, BatchSubmission, toDistributionRequestRecord } from '../../../services/batchDistribution';
import { readDistributionCsv } from '../../../services/csvUpload';
import { distributeIndividual } from '../../../services/distribution';
import { DomainError } from '../../../services/errors';
import { getPassesByExternalRefID } from '../../../services/passes';
import { startJob } from '../../../temporal/jobs';
import type { UploadedFile } from '../scalars';
import { batchSize, nonEmpty, parseInput } from '../inputs';
import type { Resolvers } from '../schema';

const linkWindow = { startTime: z.date().nullish(), endTime: z.date().nullish() };
const distributionRequest = z.object({
  title: nonEmpty,
  // Rows are validated one by one against the design, so a bad row fails alone.
  passDetails: z.array(z.unknown()),
  ...linkWindow,
});
const distributionRequestCsv = z.object({ title: nonEmpty, file: z.custom<UploadedFile>((f) => !!f, 'is required'), ...linkWindow });
const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key header must be 1-255 visible ASCII characters').optional();

/** Stages a batch and starts (or joins) its workflow; answers at once with the request ID. */
async function submitBatch(deps: Deps, principal: Principal, key: string | undefined, submission: Omit<BatchSubmission, 'requestKey'>) {
  const requestKey = idempotencyKey.safeParse(key);
  if (!requestKey.success) throw new DomainError('BAD_USER_INPUT', requestKey.error.issues[0].message, 'Idempotency-Key');
  const staged = await stageBatchDistribution(deps.db, principal, { ...submission, requestKey: requestKey.data });
  await startJob(deps.temporal!, deps.config, {
    workflowType: 'batchDistribution',
    workflowId: `distribution-${principal.org}-${staged.requestId}`,
    args: [{ requestId: staged.requestId, organisationId: principal.org }],
    organisationId: principal.org,
    requestId: staged.requestId,
  });
  return {
    message: staged.created
      ? `Distribution request ${staged.requestId} accepted: ${staged.batchCount} passes queued`
      : `Distribution request ${staged.requestId} already accepted for this Idempotency-Key: ${staged.batchCount} passes queued`,
  };
}

async function* inPages<T>(items: T[], size = 1000): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

export const distributionResolvers: Resolvers = {
  Query: {
    async getPassesByExternalRefID(_root, { input }, { deps, principal }) {
      const { externalReferenceID } = parseInput(z.object({ externalReferenceID: nonEmpty }), input);
      return getPassesByExternalRefID(deps.db, principal.org, externalReferenceID);
    },

    async getPaginatedDistributionRequests(_root, { input }, { deps, principal, files }) {
      const cursor = parseInput(
        z.object({ batchSize, lastCreated: z.date().nullish(), lastDocID: z.string().uuid('must be a lastDocID returned by a previous page').nullish() }),
        input,
      );
      const page = await paginateDistributionRequests(deps.db, principal.org, { ...cursor, lastTimestamp: cursor.lastCreated });
      return {
        distributionDocs: page.rows.map((r) => toDistributionRequestRecord(r, files)),
        lastCreated: page.lastTimestamp,
        lastDocID: page.lastDocID,
      };
    },
  },
  Mutation: {
    async distributeIndividualPass(_root, { input }, { deps, principal, links }) {
      return distributeIndividual(deps.db, links, principal, parseInput(distributionRequest, input));
    },

    async distributePassBatch(_root, { input }, { deps, principal, idempotencyKey: key }) {
      const req = parseInput(distributionRequest, input);
      const rows = req.passDetails.map((raw, i) => ({ rowNumber: i + 1, raw: raw as Record<string, unknown> }));
      return submitBatch(deps, principal, key, { ...req, source: 'api', rows: inPages(rows) });
    },

    async distributePassesCSV(_root, { input }, { deps, principal, idempotencyKey: key }) {
      const req = parseInput(distributionRequestCsv, input);
      return submitBatch(deps, principal, key, { ...req, source: 'csv', rows: readDistributionCsv(req.file.path) });
    },
  },
};
