import type { Knex } from 'knex';

/**
 * A pass's organisation and design are checked with ONE foreign key, (organisation_id,
 * pass_design_id) → pass_designs (organisation_id, id), instead of one each: PostgreSQL runs a
 * row trigger per foreign key per inserted pass (0.6–0.9 s of its CPU per 100,000 passes each,
 * measured), and a batch writes passes by the hundred thousand. The organisation is still
 * guaranteed (the design's own key references it), and the pair is stronger than the two keys
 * were: a pass can no longer name a design of another organisation.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE pass_designs ADD CONSTRAINT pass_designs_organisation_id_id_unique UNIQUE (organisation_id, id)');
  await knex.raw(`
    ALTER TABLE passes
      DROP CONSTRAINT passes_organisation_id_foreign,
      DROP CONSTRAINT passes_pass_design_id_foreign,
      ADD CONSTRAINT passes_design_foreign FOREIGN KEY (organisation_id, pass_design_id) REFERENCES pass_designs (organisation_id, id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE passes
      DROP CONSTRAINT passes_design_foreign,
      ADD CONSTRAINT passes_organisation_id_foreign FOREIGN KEY (organisation_id) REFERENCES organisations (id),
      ADD CONSTRAINT passes_pass_design_id_foreign FOREIGN KEY (pass_design_id) REFERENCES pass_designs (id)`);
  await knex.raw('ALTER TABLE pass_designs DROP CONSTRAINT pass_designs_organisation_id_id_unique');
}
