import type { Db } from '../../db/knex';
import { ColumnarBuilder, ColumnarRecords, countColumnar } from '../../domain/dci/columnar';
import type { Cond } from '../../domain/dci/query';
import { REGISTRIES, RegistryKey } from '../../domain/dci/registries';
import { logger } from '../../logger';
import { registryDataVersion } from './matchCounts';

/**
 * Each registry's typed filter columns in memory (src/domain/dci/columnar.ts), read in one
 * snapshot together with the registry's data version (matchCounts.ts): a search whose snapshot
 * reads the same version sees the same records, so counting its matches in memory gives the exact
 * total_count PostgreSQL would. A search over another version is counted in PostgreSQL and starts
 * a rebuild in the background (one a registry at a time, at most one every `refreshMs`): a
 * registry written all the time is counted in PostgreSQL until a quiet moment. Per API process;
 * over 1,000,000 FR records the columns take ~120 MB and a rebuild a few seconds.
 */
export class FilterIndexes {
  private readonly held = new Map<RegistryKey, { version: string; records: ColumnarRecords }>();
  private readonly building = new Map<RegistryKey, Promise<void>>();
  private readonly lastStart = new Map<RegistryKey, number>();
  /** Counts answered in memory, and rebuilds done. */
  counted = 0;
  builds = 0;

  constructor(
    private readonly db: Db,
    private readonly refreshMs: number,
  ) {}

  /**
   * The exact count of `cond`'s matches if the columns held are of `version` (read in the
   * search's snapshot) and hold every column the condition names; otherwise undefined, and a
   * rebuild starts if the columns are of another version.
   */
  count(registry: RegistryKey, version: string, cond: Cond): number | undefined {
    const held = this.held.get(registry);
    if (held?.version !== version) {
      this.refresh(registry);
      return undefined;
    }
    const count = countColumnar(held.records, cond);
    if (count !== undefined) this.counted++;
    return count;
  }

  /** Starts reading the registry's columns, unless a read runs or one started less than refreshMs ago. */
  refresh(registry: RegistryKey): void {
    if (this.building.has(registry) || Date.now() - (this.lastStart.get(registry) ?? -Infinity) < this.refreshMs) return;
    this.lastStart.set(registry, Date.now());
    const build = readColumnar(this.db, registry)
      .then((read) => {
        this.held.set(registry, read);
        this.builds++;
      })
      .catch((err) => logger.warn({ err, registry }, 'reading the registry filter columns failed; searches count in PostgreSQL'))
      .finally(() => this.building.delete(registry));
    this.building.set(registry, build);
  }

  /** Waits for the reads in flight (before the database pool closes, and in tests). */
  async settle(): Promise<void> {
    await Promise.all(this.building.values());
  }
}

/** The registry's typed columns: names from the registry definition, never from input. */
function typedColumns(registry: RegistryKey) {
  const attrs = [...REGISTRIES[registry].catalogue.values()];
  return {
    numbers: [...new Set(attrs.flatMap((a) => (a.column ? [a.column] : [])))],
    strings: [...new Set(attrs.flatMap((a) => (a.stringsColumn ? [a.stringsColumn] : [])))],
  };
}

/** Reads the registry's typed columns and its data version in one read-only snapshot, 10,000 records a fetch. */
export async function readColumnar(db: Db, registry: RegistryKey): Promise<{ version: string; records: ColumnarRecords }> {
  const { numbers, strings } = typedColumns(registry);
  const select = [
    ...numbers.flatMap((c) => [`lower(${c})::text AS "${c}:lo"`, `upper(${c})::text AS "${c}:hi"`]),
    ...strings.map((c) => `${c} AS "${c}"`),
  ].join(', ');
  return db.transaction(
    async (trx) => {
      const { version } = await registryDataVersion(trx, registry);
      const { rows } = await trx.raw('SELECT count(*) AS n FROM registry_records WHERE registry = ?', [registry]);
      const builder = new ColumnarBuilder(Number(rows[0].n), numbers, strings);
      await trx.raw(`DECLARE columnar NO SCROLL CURSOR FOR SELECT ${select} FROM registry_records WHERE registry = ?`, [registry]);
      for (;;) {
        const batch: Record<string, string | string[] | null>[] = (await trx.raw('FETCH 10000 FROM columnar')).rows;
        if (batch.length === 0) break;
        for (const row of batch) {
          builder.add(
            Object.fromEntries(numbers.map((c) => [c, { lo: row[`${c}:lo`] as string | null, hi: row[`${c}:hi`] as string | null }])),
            Object.fromEntries(strings.map((c) => [c, row[c] as string[] | null])),
          );
        }
      }
      return { version, records: builder.finish() };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}
