import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { OrganisationId, RequestId } from './searchAttributeKeys';

/** Steward's custom search attributes: operators find any job in the Temporal UI by these. */
export { OrganisationId, RequestId };
export const STEWARD_SEARCH_ATTRIBUTES = [OrganisationId, RequestId];

/** Registers the attributes in the namespace when missing; safe to run from every worker start. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = STEWARD_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
}
