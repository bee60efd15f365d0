import type { Knex } from 'knex';

/**
 * The registries' string attributes that filters commonly name, as stored generated `text[]`
 * columns with a GIN index each. `$eq`/`$ne`/`$in` on them used to be jsonb containment on the
 * `search` projection: its GIN index (jsonb_path_ops) is lossy, so every candidate row was
 * rechecked by walking its jsonb; an array GIN index answers `@>`/`&&` exactly and the remaining
 * filters compare short arrays (the bench's `$or`/`$ne` shape: p50 77 -> 45 ms over 100,000 records).
 *
 * `dci_strings(doc, segments, arrays)` collects the strings a jsonb containment query built for
 * that path would match, with containment's strict structure: `arrays[i]` says the value at
 * `segments[i]` is a list (each element is walked), otherwise it must not be one (an object where
 * a list is expected, or a list where a value is, matches nothing, as `@>` has it). So for every
 * record `col @> ARRAY[v]` holds exactly when `record @> {path: v}` does. STRING_COLUMNS in
 * src/domain/dci/registries.ts maps the same paths to these columns for the query translator (a
 * test compares both on records of every shape).
 */
const COLUMNS = [
  { column: 'str_fr_group_type', registry: 'fr', segments: ['family_details', 'group_type'], arrays: [false, false] },
  { column: 'str_fr_farm_type', registry: 'fr', segments: ['farm_details', 'farm_type'], arrays: [true, false] },
  { column: 'str_fr_place_name', registry: 'fr', segments: ['farm_details', 'place', 'name'], arrays: [true, false, false] },
  { column: 'str_fr_crop_type', registry: 'fr', segments: ['farm_details', 'farming_activities', 'crop_production', 'crop_type'], arrays: [true, true, true, false] },
  { column: 'str_fr_machinery_type', registry: 'fr', segments: ['machineries_details', 'type'], arrays: [true, false] },
  { column: 'str_dr_disability_status', registry: 'dr', segments: ['disability_status'], arrays: [false] },
  { column: 'str_dr_disability_level', registry: 'dr', segments: ['disability_level'], arrays: [false] },
  { column: 'str_dr_location', registry: 'dr', segments: ['location'], arrays: [false] },
  { column: 'str_dr_gender', registry: 'dr', segments: ['personal_details', 'gender'], arrays: [false, false] },
  { column: 'str_dr_impairment_type', registry: 'dr', segments: ['disability_details', 'impairment_type'], arrays: [true, false] },
];

const pgArray = (items: (string | boolean)[]) => `'{${items.map((i) => (typeof i === 'boolean' ? (i ? 't' : 'f') : `"${i}"`)).join(',')}}'`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION dci_strings(doc jsonb, segments text[], arrays boolean[]) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    DECLARE
      nodes jsonb[] := ARRAY[doc];
      next jsonb[];
      n jsonb;
      v jsonb;
    BEGIN
      FOR i IN 1 .. cardinality(segments) LOOP
        next := '{}';
        FOREACH n IN ARRAY nodes LOOP
          CONTINUE WHEN jsonb_typeof(n) <> 'object';
          v := n -> segments[i];
          CONTINUE WHEN v IS NULL;
          IF arrays[i] THEN
            CONTINUE WHEN jsonb_typeof(v) <> 'array';
            FOR j IN 0 .. jsonb_array_length(v) - 1 LOOP
              next := next || (v -> j);
            END LOOP;
          ELSE
            next := next || v;
          END IF;
        END LOOP;
        nodes := next;
      END LOOP;
      RETURN ARRAY(SELECT x #>> '{}' FROM unnest(nodes) x WHERE jsonb_typeof(x) = 'string');
    END $$`);
  // One ALTER TABLE: the table is rewritten once for all the columns, not once per column.
  const adds = COLUMNS.map(
    (c) => `ADD COLUMN ${c.column} text[] GENERATED ALWAYS AS (CASE WHEN registry = '${c.registry}' THEN dci_strings(record, ${pgArray(c.segments)}, ${pgArray(c.arrays)}) END) STORED`,
  );
  await knex.raw(`ALTER TABLE registry_records ${adds.join(', ')}`);
  for (const { column } of COLUMNS) await knex.raw(`CREATE INDEX registry_records_${column} ON registry_records USING gin (${column})`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE registry_records ${COLUMNS.map((c) => `DROP COLUMN IF EXISTS ${c.column}`).join(', ')}`);
  await knex.raw('DROP FUNCTION IF EXISTS dci_strings(jsonb, text[], boolean[])');
}
