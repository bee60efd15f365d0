import type { Db } from '../../db/knex';
import { Columnar, ColumnarBuilder, ColumnarRecords, heldBytes, heldCount, patchColumnar } from '../../domain/dci/columnar';
import { REGISTRIES, RegistryKey } from '../../domain/dci/registries';
import { logger } from '../../logger';
import { registryDataVersion } from './matchCounts';

/** The columns held for a registry: read in `snapshot`, brought up to `version` by patches. */
export interface Held {
  version: string;
  /** A patch found it needs a full read: no more patches are tried until one replaces these. */
  unpatchable?: boolean;
  /** pg_current_snapshot() of the full read: the patches list the writes it did not see. */
  snapshot: string;
  base: ColumnarRecords;
  columns: Columnar;
}

/**
 * Each registry's typed filter columns in memory (src/domain/dci/columnar.ts), read in one
 * snapshot together with the registry's data version (matchCounts.ts): a search whose snapshot
 * reads the same version sees the same records, so its matches found in memory are the ones
 * PostgreSQL would find (page and exact total_count). A search over a later version starts a
 * refresh, one a registry at a time, waits a little for it if it is a patch (see `use`), and
 * otherwise runs in PostgreSQL:
 * - a patch when it can: the records written since the full read (`registry_changes`, migration
 *   20261204020001), read as they are now in a snapshot with its version, replace the base's; the
 *   next refresh no sooner than four times its duration after it started;
 * - otherwise (a bulk load or truncate, changes pruned, or more than `patchAtMost` records
 *   written) a full read, no sooner than `refreshMs`, nor than four times the last full read's
 *   duration, after the last one started, so that a registry loaded all the time costs the API
 *   process at most a fifth of a core in reads. Over 1,000,000 FR records the columns hold 95 MB
 *   of typed arrays, and a full read takes 13-23 s here (a second copy is built while the first
 *   serves); a patch of a few records takes milliseconds.
 */
export class FilterIndexes {
  private readonly held = new Map<RegistryKey, Held>();
  private readonly building = new Map<RegistryKey, Promise<void>>();
  /** The patch in flight of a registry, which a search over the version it reads may wait for. */
  private readonly patching = new Map<RegistryKey, Promise<void>>();
  /** When the next refresh (paced by the last patch), and the next full read, of a registry may start. */
  private readonly notBefore = new Map<RegistryKey, number>();
  private readonly fullNotBefore = new Map<RegistryKey, number>();
  /** Searches answered from the columns, full reads and patches done. */
  used = 0;
  builds = 0;
  patches = 0;

  constructor(
    private readonly db: Db,
    private readonly refreshMs: number,
    private readonly now: () => number = Date.now,
    /** Records written since the full read that a patch takes on; past that, a full read. */
    private readonly patchAtMost = (held: number) => Math.max(1000, Math.floor(held / 20)),
    /** How long a search waits for a patch in flight before it runs in PostgreSQL. */
    private readonly patchWaitMs = 50,
  ) {}

  /**
   * Runs `use` on the columns if they are of `version` (read in the search's snapshot), counting
   * the searches it answers; otherwise undefined. A search that saw a later version than the one
   * held (not one that began before the last refresh saw an earlier one) starts a refresh, and
   * waits for a patch up to `patchWaitMs`: a patch of a few records takes milliseconds, and the
   * search would take PostgreSQL 100-240 ms over 1,000,000 records.
   */
  async use<T>(registry: RegistryKey, version: string, use: (columns: Columnar) => T | undefined): Promise<T | undefined> {
    let held = this.held.get(registry);
    if (held?.version !== version && (!held || BigInt(version) > BigInt(held.version))) {
      this.refresh(registry);
      const patch = this.patching.get(registry);
      if (patch && this.patchWaitMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([patch, new Promise((resolve) => (timer = setTimeout(resolve, this.patchWaitMs)))]);
        clearTimeout(timer);
        held = this.held.get(registry);
      }
    }
    if (held?.version !== version) return undefined;
    const answer = use(held.columns);
    if (answer !== undefined) this.used++;
    return answer;
  }

  /** Starts a patch or a full read of the registry's columns, unless one runs or it is too soon (see above). */
  refresh(registry: RegistryKey): void {
    const started = this.now();
    if (this.building.has(registry) || started < (this.notBefore.get(registry) ?? 0)) return;
    // Only a patch paces the next refresh: a full read paces the next full read (below), never a patch.
    let patchedFor = 0;
    const work = async () => {
      const held = this.held.get(registry);
      if (held && !held.unpatchable) {
        // What a waiting search awaits: settled only once the patched columns are held.
        const patch = patchHeld(this.db, registry, held, this.patchAtMost(heldCount(held.columns))).then((patched) => {
          this.held.set(registry, patched ?? { ...held, unpatchable: true });
          return patched;
        });
        this.patching.set(registry, patch.then(() => undefined, () => undefined));
        const patched = await patch.finally(() => this.patching.delete(registry));
        patchedFor = this.now() - started;
        if (patched) {
          this.patches++;
          return;
        }
      }
      if (started < (this.fullNotBefore.get(registry) ?? 0)) return;
      this.fullNotBefore.set(registry, Infinity);
      try {
        const read = await readColumnar(this.db, registry);
        this.held.set(registry, { version: read.version, snapshot: read.snapshot, base: read.records, columns: read.records });
        this.builds++;
      } finally {
        this.fullNotBefore.set(registry, started + Math.max(this.refreshMs, 4 * (this.now() - started)));
      }
    };
    const build = work()
      .catch((err) => logger.warn({ err, registry }, 'reading the registry filter columns failed; searches run in PostgreSQL'))
      .finally(() => {
        this.building.delete(registry);
        this.notBefore.set(registry, started + 4 * patchedFor);
      });
    this.building.set(registry, build);
  }

  /** The bytes of the typed arrays held for every registry. */
  bytes(): number {
    let total = 0;
    for (const { columns } of this.held.values()) total += heldBytes(columns);
    return total;
  }

  /** Waits for the refreshes in flight (before the database pool closes, and in tests). */
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

/** The json_build_array of a record's typed columns, as ColumnarBuilder.add takes it. */
function columnsRow(registry: RegistryKey): { fields: string; numbers: string[]; strings: string[] } {
  const { numbers, strings } = typedColumns(registry);
  return { fields: ['id', ...numbers.flatMap((c) => [`lower(${c})::text`, `upper(${c})::text`]), ...strings].join(', '), numbers, strings };
}

/** A read-only snapshot of its own, in which a read sees one data version. */
const SNAPSHOT = { isolationLevel: 'repeatable read', readOnly: true } as const;

/**
 * Reads the registry's typed columns, its data version and the snapshot (pg_current_snapshot) in
 * one read-only snapshot, 10,000 records a fetch, each one JSON text (one field to parse, not one
 * per column).
 */
export async function readColumnar(db: Db, registry: RegistryKey): Promise<{ version: string; snapshot: string; records: ColumnarRecords }> {
  const { fields, numbers, strings } = columnsRow(registry);
  return db.transaction(async (trx) => {
    const { version } = await registryDataVersion(trx, registry);
    const { rows } = await trx.raw('SELECT count(*) AS n, pg_current_snapshot()::text AS snapshot FROM registry_records WHERE registry = ?', [registry]);
    const builder = new ColumnarBuilder(Number(rows[0].n), numbers, strings);
    await trx.raw(`DECLARE columnar NO SCROLL CURSOR FOR SELECT json_build_array(${fields})::text AS r FROM registry_records WHERE registry = ?`, [registry]);
    for (;;) {
      const batch: { r: string }[] = (await trx.raw('FETCH 10000 FROM columnar')).rows;
      if (batch.length === 0) break;
      for (const { r } of batch) builder.add(JSON.parse(r));
    }
    return { version, snapshot: rows[0].snapshot, records: builder.finish() };
  }, SNAPSHOT);
}

/**
 * The held columns brought up to the registry's current version: every record written by a
 * transaction the full read's snapshot did not see, read as it is now (gone if deleted), replaces
 * the base's. Undefined when a full read is needed instead: a write that listed no records (bulk
 * load, truncate), changes pruned since the full read, or more than `atMost` records written.
 */
export async function patchHeld(db: Db, registry: RegistryKey, held: Held, atMost: number): Promise<Held | undefined> {
  const { fields, numbers, strings } = columnsRow(registry);
  return db.transaction(async (trx) => {
    const { version } = await registryDataVersion(trx, registry);
    if (version === held.version) return held;
    const { rows: complete } = await trx.raw('SELECT 1 FROM registry_changes_pruning WHERE pg_snapshot_xmin(?::pg_snapshot) >= pruned_below', [held.snapshot]);
    if (complete.length === 0) return undefined;
    // Every transaction the snapshot did not see has an xid at or past its xmin: the index's range, however long the lists.
    const { rows: written } = await trx.raw<{ rows: { record_id: string | null }[] }>(
      `SELECT DISTINCT record_id FROM registry_changes
        WHERE registry = ? AND xid >= pg_snapshot_xmin(?::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, ?::pg_snapshot) LIMIT ?`,
      [registry, held.snapshot, held.snapshot, atMost + 1],
    );
    if (written.length > atMost || written.some((w) => w.record_id === null)) return undefined;
    const ids = written.map((w) => w.record_id!);
    const { rows } = await trx.raw<{ rows: { r: string }[] }>(`SELECT json_build_array(${fields})::text AS r FROM registry_records WHERE registry = ? AND id = ANY(?::uuid[])`, [registry, ids]);
    const builder = new ColumnarBuilder(rows.length, numbers, strings);
    for (const { r } of rows) builder.add(JSON.parse(r));
    return { ...held, version, columns: patchColumnar(held.base, ids, builder.finish()) };
  }, SNAPSHOT);
}
