import type { Knex } from 'knex';

/**
 * Stored files in parts (issue 12): a file's bytes are `stored_file_parts` rows of at most 1 MB,
 * written as the file is produced and read back one at a time, so no process ever holds a whole
 * file (a 1,000,000-row success CSV is hundreds of MB). `generation` is the current set of parts: a
 * rewrite (erasure) writes the next generation and deletes the old one, so a download that started
 * before it never mixes parts of two versions. Existing files are split into parts here.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('stored_file_parts', (t) => {
    t.uuid('file_id').notNullable().references('stored_files.id').onDelete('CASCADE');
    t.integer('generation').notNullable();
    t.integer('part').notNullable();
    t.binary('content').notNullable();
    t.primary(['file_id', 'generation', 'part']);
  });
  await knex.schema.alterTable('stored_files', (t) => {
    t.integer('generation').notNullable().defaultTo(0);
    t.bigInteger('size').notNullable().defaultTo(0);
  });
  const part = 1024 * 1024;
  await knex.raw(
    `INSERT INTO stored_file_parts (file_id, generation, part, content)
     SELECT f.id, 0, p.n, substring(f.content FROM p.n * ${part} + 1 FOR ${part})
       FROM stored_files f, generate_series(0, greatest(ceil(octet_length(f.content)::numeric / ${part})::int - 1, 0)) AS p(n)`,
  );
  await knex.raw(`UPDATE stored_files SET size = octet_length(content)`);
  await knex.schema.alterTable('stored_files', (t) => t.dropColumn('content'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stored_files', (t) => t.binary('content'));
  await knex.raw(
    `UPDATE stored_files f SET content = coalesce((SELECT string_agg(p.content, ''::bytea ORDER BY p.part) FROM stored_file_parts p
       WHERE p.file_id = f.id AND p.generation = f.generation), ''::bytea)`,
  );
  await knex.schema.alterTable('stored_files', (t) => {
    t.dropColumn('generation');
    t.dropColumn('size');
  });
  await knex.raw(`ALTER TABLE stored_files ALTER COLUMN content SET NOT NULL`);
  await knex.schema.dropTable('stored_file_parts');
}
