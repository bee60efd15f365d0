import type { Db } from '../../db/knex';
import { ColumnarBuilder, ColumnarRecords } from '../../domain/dci/columnar';
import { REGISTRIES, RegistryKey } from '../../domain/dci/registries';
import { logger } from '../../logger';
import { registryDataVersion } from './matchCounts';

/**
 * Each registry's typed filter columns in memory (src/domain/dci/columnar.ts), read in one
 * snapshot together with the registry's data version (matchCounts.ts): a search whose snapshot
 * reads the same version sees the same records, so its matches found in memory are the ones
 * PostgreSQL would find (page and exact total_count). A search over another version runs in
 * PostgreSQL and starts a read in the background: one a registry at a time, and the next no sooner
 * than `refreshMs`, nor than four times the last read's duration after the last start, so that a
 * registry written all the time costs the API process at most a fifth of a core in reads, and its
 * searches run in PostgreSQL meanwhile. Per API process; over 1,000,000 FR records the columns
 * hold 95 MB of typed arrays, and a read takes 13-23 s here (a second copy is built while the
 * first serves).
 */
export class FilterIndexes {
  private readonly held = new Map<RegistryKey, { version: string; records: ColumnarRecords }>();
  private readonly building = new Map<RegistryKey, Promise<void>>();
  /** When the next read of a registry may start. */
  private readonly notBefore = new Map<RegistryKey, number>();
  /** Searches answered from the columns, and reads of them done. */
  used = 0;
  builds = 0;

  constructor(
    private readonly db: Db,
    private readonly refreshMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `use` on the columns if they are of `version` (read in the search's snapshot), counting
   * the searches it answers; otherwise undefined, and a read starts if the search saw a later
   * version than the one held (one that began before the last read saw an earlier one).
   */
  use<T>(registry: RegistryKey, version: string, use: (records: ColumnarRecords) => T | undefined): T | undefined {
    const held = this.held.get(registry);
    if (held?.version !== version) {
      if (!held || BigInt(version) > BigInt(held.version)) this.refresh(registry);
      return undefined;
    }
    const answer = use(held.records);
    if (answer !== undefined) this.used++;
    return answer;
  }

  /** Starts reading the registry's columns, unless a read runs or the last started too recently (see above). */
  refresh(registry: RegistryKey): void {
    const started = this.now();
    if (this.building.has(registry) || started < (this.notBefore.get(registry) ?? 0)) return;
    this.notBefore.set(registry, started + this.refreshMs);
    const build = readColumnar(this.db, registry)
      .then((read) => {
        this.held.set(registry, read);
        this.builds++;
      })
      .catch((err) => logger.warn({ err, registry }, 'reading the registry filter columns failed; searches run in PostgreSQL'))
      .finally(() => {
        this.building.delete(registry);
        this.notBefore.set(registry, started + Math.max(this.refreshMs, 4 * (this.now() - started)));
      });
    this.building.set(registry, build);
  }

  /** The bytes of the typed arrays held for every registry (the string dictionaries aside: a few distinct values each). */
  bytes(): number {
    let total = 0;
    for (const { records } of this.held.values()) {
      total += records.ids.byteLength;
      for (const { lo, hi } of records.numbers.values()) total += lo.byteLength + hi.byteLength;
      for (const { starts, postings } of records.strings.values()) total += starts.byteLength + postings.byteLength;
    }
    return total;
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

/**
 * Reads the registry's typed columns and its data version in one read-only snapshot, 10,000
 * records a fetch, each one JSON text (one field to parse, not one per column).
 */
export async function readColumnar(db: Db, registry: RegistryKey): Promise<{ version: string; records: ColumnarRecords }> {
  const { numbers, strings } = typedColumns(registry);
  const fields = ['id', ...numbers.flatMap((c) => [`lower(${c})::text`, `upper(${c})::text`]), ...strings].join(', ');
  return db.transaction(
    async (trx) => {
      const { version } = await registryDataVersion(trx, registry);
      const { rows } = await trx.raw('SELECT count(*) AS n FROM registry_records WHERE registry = ?', [registry]);
      const builder = new ColumnarBuilder(Number(rows[0].n), numbers, strings);
      await trx.raw(`DECLARE columnar NO SCROLL CURSOR FOR SELECT json_build_array(${fields})::text AS r FROM registry_records WHERE registry = ?`, [registry]);
      for (;;) {
        const batch: { r: string }[] = (await trx.raw('FETCH 10000 FROM columnar')).rows;
        if (batch.length === 0) break;
        for (const { r } of batch) builder.add(JSON.parse(r));
      }
      return { version, records: builder.finish() };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}
