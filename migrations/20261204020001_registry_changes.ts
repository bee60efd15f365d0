import type { Knex } from 'knex';
import { TRIGGER_FUNCTIONS } from './20261203080001_registry_data_versions';

/**
 * Which records each transaction wrote, so that the API's filter columns (src/services/dci/
 * filterIndex.ts) catch up by reading those records only, not the whole registry again (13-23 s
 * over 1,000,000 records). A reader that holds columns read in snapshot S asks, in a later
 * snapshot, for the rows `NOT pg_visible_in_snapshot(xid, S)`: exactly the writes committed since,
 * whatever order transactions committed in.
 *
 * The same statement triggers as the data versions' (migration 20261203080001) add the rows: one a
 * record written, or, past LISTED_PER_STATEMENT records in one statement (a bulk load) and for a
 * TRUNCATE, one row with no record id, which tells readers to read everything again. Rows are
 * pruned by the writes fold (every 5 minutes): those of transactions older than the oldest
 * snapshot seen at the previous prune, so a reader whose snapshot's xmin is at least `pruned_below`
 * still finds every write since its snapshot; an older one reads everything again.
 */
export const LISTED_PER_STATEMENT = 10_000;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE registry_changes (registry text NOT NULL, xid xid8 NOT NULL, record_id uuid);
    CREATE INDEX registry_changes_registry_xid ON registry_changes (registry, xid);
    CREATE TABLE registry_changes_pruning (
      one boolean PRIMARY KEY DEFAULT true CHECK (one),
      pruned_below xid8 NOT NULL,
      next_below xid8 NOT NULL
    );
    INSERT INTO registry_changes_pruning (pruned_below, next_below) VALUES ('0', pg_snapshot_xmin(pg_current_snapshot()));

    CREATE OR REPLACE FUNCTION registry_records_written() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM registry_written(registry) FROM (SELECT DISTINCT registry FROM changed) r;
      IF EXISTS (SELECT 1 FROM changed OFFSET ${LISTED_PER_STATEMENT}) THEN
        INSERT INTO registry_changes (registry, xid) SELECT DISTINCT registry, pg_current_xact_id() FROM changed;
      ELSE
        INSERT INTO registry_changes (registry, xid, record_id) SELECT registry, pg_current_xact_id(), id FROM changed;
      END IF;
      RETURN NULL;
    END $$;

    CREATE OR REPLACE FUNCTION registry_records_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM registry_written(registry) FROM (SELECT DISTINCT registry FROM registry_records) r;
      INSERT INTO registry_changes (registry, xid) SELECT DISTINCT registry, pg_current_xact_id() FROM registry_records;
      RETURN NULL;
    END $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(TRIGGER_FUNCTIONS);
  await knex.raw('DROP TABLE IF EXISTS registry_changes_pruning; DROP TABLE IF EXISTS registry_changes');
}
