import type { Deps } from '../src/deps';
import { finalizeDistribution } from '../src/services/batchDistribution';
import { processDistributionChunk } from '../src/services/distributionChunks';
import { FileStore } from '../src/services/files';
import { PassLinks } from '../src/services/passLinks';

/** Batch-distribution activities: IDs in, counts out; the rows stay in PostgreSQL. */
export function distributionActivities(deps: Deps) {
  const links = new PassLinks(deps.config);
  const files = new FileStore(deps.config);
  return {
    async processDistributionChunk(requestId: string, firstRow: number, size: number) {
      return processDistributionChunk(deps.db, links, requestId, firstRow, size);
    },
    async finalizeDistribution(requestId: string) {
      return finalizeDistribution(deps.db, links, files, requestId);
    },
  };
}
