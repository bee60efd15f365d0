import { z } from 'zod';
import type { Principal } from '../../../auth/tokens';
import type { Deps } from '../../../deps';
import { paginateDistributionRequests, stageBatchDistribution, BatchSubmission, toDistributionRequestRecord } from '../../../jobs/distribution/service';
import { readDistributionCsv } from '../../../services/csvUpload';
import { distributeIndividual } from '../../../services/distribution';
import { getPassesByExternalRefID } from '../../../services/passes';
import { wakeExpiryScheduler } from '../../../jobs/passExpiry/client';
import { startBatchDistribution } from '../../../jobs/distribution/client';
import { dispatchKeys } from '../../../notifications/keys';
import { startDeliveryRun } from '../../../jobs/notifications/client';
import type { UploadedFile } from '../scalars';
import { batchSize, inPages, linkWindow, nonEmpty, parseIdempotencyKey, parseInput } from '../inputs';
import type { Resolvers } from '../schema';

const distributionRequest = z.object({
  title: nonEmpty,
  // Rows are validated one by one against the design, so a bad row fails alone.
  passDetails: z.array(z.unknown()),
  ...linkWindow,
});
const distributionRequestCsv = z.object({ title: nonEmpty, file: z.custom<UploadedFile>((f) => !!f, 'is required'), ...linkWindow });

/** Stages a batch and starts (or joins) its workflow; answers at once with the request ID. */
async function submitBatch(deps: Deps, principal: Principal, key: string | undefined, submission: Omit<BatchSubmission, 'requestKey'>) {
  const staged = await stageBatchDistribution(deps.db, principal, { ...submission, requestKey: parseIdempotencyKey(key) });
  await startBatchDistribution(deps, { organisationId: principal.org, requestId: staged.requestId, batchCount: staged.batchCount, source: submission.source });
  return {
    message: staged.created
      ? `Distribution request ${staged.requestId} accepted: ${staged.batchCount} passes queued`
      : `Distribution request ${staged.requestId} already accepted for this Idempotency-Key: ${staged.batchCount} passes queued`,
  };
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
      const result = await distributeIndividual(deps.db, links, principal, parseInput(distributionRequest, input));
      const expiries = result.successList.map((p) => p.expiredTimestamp?.getTime()).filter((t): t is number => t !== undefined);
      if (expiries.length) await wakeExpiryScheduler(deps.temporal!, deps.config, Math.min(...expiries));
      // Committed: deliver the passes asked for by email / SMS.
      if (result.deliveries) await startDeliveryRun(deps.temporal!, deps.config.temporal.taskQueue, dispatchKeys.passes(result.requestId), principal.org);
      return result;
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
