import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Steward's custom search attribute keys, in a module without client or Node imports so that
 * workflow code (bundled into the deterministic sandbox) can upsert them too.
 */
export const OrganisationId = defineSearchAttributeKey('OrganisationId', SearchAttributeType.KEYWORD);
export const RequestId = defineSearchAttributeKey('RequestId', SearchAttributeType.KEYWORD);
/** Set by Temporal on workflows a Schedule starts: the time the action was due. */
export const TemporalScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
