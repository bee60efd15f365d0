import type { Knex } from 'knex';

/** Redemption counts per distribution request (getPaginatedDistributionRequests) read this small index, not every pass. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX passes_redeemed_by_request ON passes (distribution_request_id, device_os) WHERE is_redeemed');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS passes_redeemed_by_request');
}
