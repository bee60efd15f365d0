import type { Knex } from 'knex';

/**
 * Narrow search tuples for DCI registry records. Searches used to read and recheck whole records
 * (~3.6 KB of jsonb, inline) for every match they counted. Now:
 * - `record` is stored out of line, uncompressed (STORAGE EXTERNAL, default toast target), so the
 *   main heap holds small tuples and only the records of a returned page are fetched from TOAST;
 * - `search` is a stored projection of the record onto the attributes filters commonly name: the
 *   same structure (objects keep only the projected keys, arrays keep every element), so jsonb
 *   containment and jsonpath over `search` give exactly what they give over `record` for those
 *   attributes. A GIN index on it serves their `$eq`/`$in`; its bitmap recheck reads `search`.
 * The record GIN index stays for `$eq` on the other attributes. SEARCH_PATHS in
 * src/domain/dci/registries.ts lists the same paths for the query translator (a test compares them).
 */
const SHAPES: Record<string, unknown> = {
  dr: {
    disability_status: true,
    disability_level: true,
    location: true,
    poverty_score: true,
    personal_details: { gender: true },
    disability_details: { impairment_type: true },
  },
  fr: {
    family_details: { group_type: true, poverty_score: true, group_size: true },
    farm_details: {
      farm_type: true,
      place: { name: true, geo: { latitude: true, longitude: true } },
      farming_activities: { crop_production: { crop_type: true } },
    },
    machineries_details: { type: true },
  },
};

export async function up(knex: Knex): Promise<void> {
  // `shape`: {key: true} keeps that key's whole value, {key: {...}} keeps the key projected.
  // Arrays are projected element by element; scalars where the shape expects an object stay as they
  // are, so containment fails on them exactly as it does on the record.
  await knex.raw(`
    CREATE FUNCTION dci_project(doc jsonb, shape jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    DECLARE
      out jsonb;
      keys jsonb;
      k text;
      v jsonb;
    BEGIN
      -- Loops over indexes, not set-returning queries: this runs for every written record.
      IF jsonb_typeof(shape) <> 'object' THEN RETURN doc; END IF;
      CASE jsonb_typeof(doc)
      WHEN 'array' THEN
        out := '[]';
        FOR i IN 0 .. jsonb_array_length(doc) - 1 LOOP
          out := out || jsonb_build_array(dci_project(doc -> i, shape));
        END LOOP;
      WHEN 'object' THEN
        out := '{}';
        keys := jsonb_path_query_array(shape, '$.keyvalue().key');
        FOR i IN 0 .. jsonb_array_length(keys) - 1 LOOP
          k := keys ->> i;
          v := doc -> k;
          IF v IS NOT NULL THEN out := out || jsonb_build_object(k, dci_project(v, shape -> k)); END IF;
        END LOOP;
      ELSE
        out := doc;
      END CASE;
      RETURN out;
    END $$`);
  await knex.raw('ALTER TABLE registry_records RESET (toast_tuple_target)');
  await knex.raw('ALTER TABLE registry_records ALTER COLUMN record SET STORAGE EXTERNAL');
  const cases = Object.entries(SHAPES)
    .map(([registry, shape]) => `WHEN '${registry}' THEN '${JSON.stringify(shape)}'::jsonb`)
    .join(' ');
  // Adding a stored generated column rewrites the table: existing records move out of line too.
  await knex.raw(`ALTER TABLE registry_records ADD COLUMN search jsonb GENERATED ALWAYS AS (dci_project(record, CASE registry ${cases} ELSE '{}'::jsonb END)) STORED`);
  await knex.raw('CREATE INDEX registry_records_search_gin ON registry_records USING gin (search jsonb_path_ops)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE registry_records DROP COLUMN IF EXISTS search');
  await knex.raw('DROP FUNCTION IF EXISTS dci_project(jsonb, jsonb)');
  await knex.raw('ALTER TABLE registry_records ALTER COLUMN record SET STORAGE EXTENDED');
  await knex.raw('ALTER TABLE registry_records SET (toast_tuple_target = 8160)');
}
