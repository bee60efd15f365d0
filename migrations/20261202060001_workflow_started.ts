import type { Knex } from 'knex';

/**
 * A job request is staged in PostgreSQL and its workflow started right after the commit; a process
 * that dies in between leaves the request staged without a workflow. `workflow_started_at` records
 * that the start went through, so the orphan sweeper (schedule `steward-orphaned-requests`) finds
 * exactly the requests still waiting for one through a small partial index.
 */
const TABLES = ['distribution_requests', 'invalidation_requests'];
/** Which requests run a workflow at all: batches, and individual invalidations with a future expiry. */
const NEEDS_WORKFLOW: Record<string, string> = {
  distribution_requests: 'is_batch_request',
  invalidation_requests: "(is_batch_request OR status = 'Scheduled')",
};

export async function up(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.timestamp('workflow_started_at', { useTz: true });
    });
    // Requests recorded before this column existed had their workflows started (or needed none).
    await knex(table).update({ workflow_started_at: knex.ref('created_at') });
    await knex.raw(`CREATE INDEX ${table}_without_workflow ON ${table} (created_at) WHERE workflow_started_at IS NULL AND ${NEEDS_WORKFLOW[table]}`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.raw(`DROP INDEX IF EXISTS ${table}_without_workflow`);
    await knex.schema.alterTable(table, (t) => t.dropColumn('workflow_started_at'));
  }
}
