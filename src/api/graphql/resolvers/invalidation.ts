import { z } from 'zod';
import type { Principal } from '../../../auth/tokens';
import type { Deps } from '../../../deps';
import { readInvalidationCsv } from '../../../services/csvUpload';
import {
  invalidateIndividual,
  InvalidationSubmission,
  paginateInvalidationRequests,
  stageBatchInvalidation,
  toInvalidationRequestRecord,
} from '../../../jobs/invalidation/service';
import { startInvalidation } from '../../../jobs/invalidation/client';
import { batchSize, inPages, parseIdempotencyKey, parseInput } from '../inputs';
import type { UploadedFile } from '../scalars';
import type { Resolvers } from '../schema';

const invalidationRequest = z.object({ serialNumbers: z.array(z.string()), expiryTime: z.date().nullish() });
const invalidationRequestCsv = z.object({ file: z.custom<UploadedFile>((f) => !!f, 'is required'), expiryTime: z.date().nullish() });

async function submitBatch(deps: Deps, principal: Principal, key: string | undefined, submission: Omit<InvalidationSubmission, 'requestKey'>) {
  const staged = await stageBatchInvalidation(deps.db, principal, { ...submission, requestKey: parseIdempotencyKey(key) });
  await startInvalidation(deps, principal.org, staged.requestId, staged.expiryTime, true);
  const when = staged.expiryTime.getTime() > Date.now() + 60_000 ? `at ${staged.expiryTime.toISOString()}` : 'now';
  return {
    message: staged.created
      ? `Invalidation request ${staged.requestId} accepted: ${staged.batchCount} passes to expire ${when}`
      : `Invalidation request ${staged.requestId} already accepted for this Idempotency-Key: ${staged.batchCount} passes`,
  };
}

export const invalidationResolvers: Resolvers = {
  Query: {
    async getPaginatedInvalidationRequests(_root, { input }, { deps, principal, files }) {
      const cursor = parseInput(
        z.object({ batchSize, lastCreated: z.date().nullish(), lastDocID: z.string().uuid('must be a lastDocID returned by a previous page').nullish() }),
        input,
      );
      const page = await paginateInvalidationRequests(deps.db, principal.org, { ...cursor, lastTimestamp: cursor.lastCreated });
      return { invalidationDocs: page.rows.map((r) => toInvalidationRequestRecord(r, files)), lastCreated: page.lastTimestamp, lastDocID: page.lastDocID };
    },
  },
  Mutation: {
    async invalidateIndividualPass(_root, { input }, { deps, principal }) {
      const req = parseInput(invalidationRequest, input);
      const result = await invalidateIndividual(deps.db, principal, req);
      if (result.scheduled && result.response.successList.length) {
        await startInvalidation(deps, principal.org, result.requestId, req.expiryTime!, false);
      }
      return result.response;
    },

    async invalidateBatchPasses(_root, { input }, { deps, principal, idempotencyKey }) {
      const req = parseInput(invalidationRequest, input);
      const rows = req.serialNumbers.map((serialNumber, i) => ({ rowNumber: i + 1, raw: { serialNumber } }));
      return submitBatch(deps, principal, idempotencyKey, { expiryTime: req.expiryTime, source: 'api', rows: inPages(rows) });
    },

    async invalidatePassesCSV(_root, { input }, { deps, principal, idempotencyKey }) {
      const req = parseInput(invalidationRequestCsv, input);
      return submitBatch(deps, principal, idempotencyKey, { expiryTime: req.expiryTime, source: 'csv', rows: readInvalidationCsv(req.file.path) });
    },
  },
};
