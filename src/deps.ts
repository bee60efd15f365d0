import type { Client } from '@temporalio/client';
import type { JwtKeys } from './auth/keys';
import type { Config } from './config';
import type { Db } from './db/knex';
import type { Tracing } from './telemetry/tracing';
import type { MatchCountCache } from './services/dci/matchCounts';
import type { FilterIndexes } from './services/dci/filterIndex';

/** What the API, the worker's activities and the admin CLI share: built once at start-up. */
export interface Deps {
  config: Config;
  db: Db;
  jwtKeys: JwtKeys;
  /** Absent in processes that never start workflows (migrate, parts of the admin CLI). */
  temporal?: Client;
  /** OpenTelemetry tracing, when OTEL_EXPORTER_OTLP_ENDPOINT is set (src/telemetry/tracing.ts). */
  tracing?: Tracing;
  /** DCI searches' exact total_counts, kept for later pages of the same search (API process). */
  matchCounts?: MatchCountCache;
  /** DCI registries' filter columns in memory, counting a search's matches (API process; DCI_FILTER_INDEX). */
  filterIndexes?: FilterIndexes;
}
