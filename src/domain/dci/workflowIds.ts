import type { RegistryKey } from './registries';

/** Readable, deterministic workflow IDs of the DCI jobs (also imported by workflow code). */
export type DciRequestAction = 'search' | 'subscribe' | 'unsubscribe' | 'txn-status';

export const requestWorkflowId = (action: DciRequestAction, registry: RegistryKey, correlationId: string) => `dci-${action}/${registry}/${correlationId}`;
export const subscriptionWorkflowId = (registry: RegistryKey, code: string) => `dci-subscription/${registry}/${code}`;
