import type { Knex } from 'knex';
import * as foundation from './20261129000001_foundation';
import * as callbacks from './20261129000002_callbacks_files_outbox';
import * as batchDistribution from './20261129000003_batch_distribution';
import * as storedFileEncoding from './20261129000004_stored_file_encoding';
import * as invalidation from './20261129000005_invalidation';
import * as redeemedPassesIndex from './20261129000006_redeemed_passes_index';
import * as asyncIssuance from './20261129000010_async_issuance';
import * as dciRegistries from './20261129000020_dci_registries';
import * as beaconsLocationsTemplates from './20261129000030_beacons_locations_templates';
import * as invoices from './20261129000031_invoices';
import * as wallet from './20261129000040_wallet';
import * as gdpr from './20261129000050_gdpr';
import * as reportingRequests from './20261129000051_reporting_requests';
import * as walletPasses from './20261202030001_wallet_passes';
import * as notifications from './20261202040001_notifications';
import * as scheduledInvalidationPasses from './20261202010000_scheduled_invalidation_passes';
import * as dciNumberIndexes from './20261202070001_dci_number_indexes';
import * as distributionChunks from './20261202070002_distribution_chunks';
import * as invalidationSerialIndex from './20261203010001_invalidation_serial_index';
import * as dciNumberColumns from './20261202070003_dci_number_columns';
import * as workflowStarted from './20261202060001_workflow_started';
import * as dciTokensPeers from './20261202080000_dci_tokens_peers';
import * as storedFileParts from './20261203020001_stored_file_parts';
import * as dciSearchColumn from './20261203030001_dci_search_column';
import * as dciStringColumns from './20261203040001_dci_string_columns';
import * as dciDropSearchProjection from './20261203050001_dci_drop_search_projection';
import * as dciNumberBounds from './20261203060001_dci_number_bounds';
import * as dciNumberDescIndexes from './20261203070001_dci_number_desc_indexes';
import * as registryDataVersions from './20261203080001_registry_data_versions';
import * as passesDesignKey from './20261204010001_passes_design_key';
import * as registryChanges from './20261204020001_registry_changes';

/**
 * Migrations listed in code rather than discovered on disk, so the same list runs under tsx,
 * compiled JS and Jest alike. They run in name (timestamp) order; never edit an applied one.
 */
const migrations: Record<string, Knex.Migration> = {
  '20261129000001_foundation': foundation,
  '20261129000002_callbacks_files_outbox': callbacks,
  '20261129000003_batch_distribution': batchDistribution,
  '20261129000004_stored_file_encoding': storedFileEncoding,
  '20261129000005_invalidation': invalidation,
  '20261129000006_redeemed_passes_index': redeemedPassesIndex,
  '20261129000010_async_issuance': asyncIssuance,
  '20261129000020_dci_registries': dciRegistries,
  '20261129000030_beacons_locations_templates': beaconsLocationsTemplates,
  '20261129000031_invoices': invoices,
  '20261129000040_wallet': wallet,
  '20261129000050_gdpr': gdpr,
  '20261129000051_reporting_requests': reportingRequests,
  '20261202030001_wallet_passes': walletPasses,
  '20261202040001_notifications': notifications,
  '20261202010000_scheduled_invalidation_passes': scheduledInvalidationPasses,
  '20261202070001_dci_number_indexes': dciNumberIndexes,
  '20261202070002_distribution_chunks': distributionChunks,
  '20261203010001_invalidation_serial_index': invalidationSerialIndex,
  '20261202070003_dci_number_columns': dciNumberColumns,
  '20261202060001_workflow_started': workflowStarted,
  '20261202080000_dci_tokens_peers': dciTokensPeers,
  '20261203020001_stored_file_parts': storedFileParts,
  '20261203030001_dci_search_column': dciSearchColumn,
  '20261203040001_dci_string_columns': dciStringColumns,
  '20261203050001_dci_drop_search_projection': dciDropSearchProjection,
  '20261203060001_dci_number_bounds': dciNumberBounds,
  '20261203070001_dci_number_desc_indexes': dciNumberDescIndexes,
  '20261203080001_registry_data_versions': registryDataVersions,
  '20261204010001_passes_design_key': passesDesignKey,
  '20261204020001_registry_changes': registryChanges,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
