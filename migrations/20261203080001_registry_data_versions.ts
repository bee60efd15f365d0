import type { Knex } from 'knex';

/** The trigger functions as this migration makes them (20261204020001's down restores them). */
export const TRIGGER_FUNCTIONS = `
    CREATE OR REPLACE FUNCTION registry_records_written() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM registry_written(registry) FROM (SELECT DISTINCT registry FROM changed) r;
      RETURN NULL;
    END $$;

    CREATE OR REPLACE FUNCTION registry_records_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM registry_written(registry) FROM (SELECT DISTINCT registry FROM registry_records) r;
      RETURN NULL;
    END $$;`;

/**
 * A registry's data version, which a search reads in its own snapshot so that an exact
 * total_count counted once can serve every later page of the same search while the records stay
 * as they were (src/services/dci/matchCounts.ts).
 *
 * The version is the number of committed transactions that wrote the registry's records, as the
 * reading snapshot sees them: `registry_data_versions.committed` plus the rows of
 * `registry_writes` (one per writing transaction and registry, added by a trigger on every insert,
 * update, delete and truncate, whoever writes: the API, a bench's COPY, an operator's SQL). On a
 * primary, a later snapshot sees a superset of the transactions an earlier one saw, so two
 * snapshots with the same number see the same writes, and the same records.
 *
 * Writers add a row of their own instead of bumping one counter, so that they never wait for each
 * other: a counter row would be locked from a bulk load's first statement to its commit. Compaction
 * (matchCounts.ts) moves committed rows into `committed` in one transaction, which keeps the sum.
 *
 * The triggers run once a statement, over the registries in its transition table, and ask a
 * transaction-local setting whether this transaction has its row already (a rolled-back savepoint
 * rolls back the setting with the row). Per row written that costs ~0.7-0.9 us (1,000,000-row
 * INSERT); a row trigger cost 5.8 us.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE registry_data_versions (registry text PRIMARY KEY, committed bigint NOT NULL);
    CREATE TABLE registry_writes (registry text NOT NULL, xid xid8 NOT NULL, PRIMARY KEY (registry, xid));

    CREATE FUNCTION registry_written(r text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF current_setting('steward.registry_written.' || r, true) IS DISTINCT FROM 'yes' THEN
        INSERT INTO registry_writes (registry, xid) VALUES (r, pg_current_xact_id()) ON CONFLICT DO NOTHING;
        PERFORM set_config('steward.registry_written.' || r, 'yes', true);
      END IF;
    END $$;

    ${TRIGGER_FUNCTIONS}

    -- A trigger with a transition table serves one event; an UPDATE's rows are read before and after (a changed registry changes both).
    CREATE TRIGGER registry_records_inserted AFTER INSERT ON registry_records
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION registry_records_written();
    CREATE TRIGGER registry_records_updated_to AFTER UPDATE ON registry_records
      REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION registry_records_written();
    CREATE TRIGGER registry_records_updated_from AFTER UPDATE ON registry_records
      REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION registry_records_written();
    CREATE TRIGGER registry_records_deleted AFTER DELETE ON registry_records
      REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION registry_records_written();
    CREATE TRIGGER registry_records_truncated BEFORE TRUNCATE ON registry_records
      FOR EACH STATEMENT EXECUTE FUNCTION registry_records_truncated();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER IF EXISTS registry_records_truncated ON registry_records;
    DROP TRIGGER IF EXISTS registry_records_deleted ON registry_records;
    DROP TRIGGER IF EXISTS registry_records_updated_from ON registry_records;
    DROP TRIGGER IF EXISTS registry_records_updated_to ON registry_records;
    DROP TRIGGER IF EXISTS registry_records_inserted ON registry_records;
    DROP FUNCTION IF EXISTS registry_records_truncated();
    DROP FUNCTION IF EXISTS registry_records_written();
    DROP FUNCTION IF EXISTS registry_written(text);
    DROP TABLE IF EXISTS registry_writes;
    DROP TABLE IF EXISTS registry_data_versions;
  `);
}
