import type { Deps } from '../../deps';
import { FileStore } from '../../services/files';
import { PassLinks } from '../../services/passLinks';
import { processDistributionChunk } from './chunks';
import { finalizeDistribution } from './service';

/** Batch-distribution activities: IDs in, counts out; the rows stay in PostgreSQL. */
export function createDistributionActivities(deps: Deps) {
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

export type DistributionActivities = ReturnType<typeof createDistributionActivities>;
