import type { RegistryKey } from '../../domain/dci/registries';

/** What the DCI workflows and their client share (workflow-safe). */
export type DciRequestAction = 'search' | 'subscribe' | 'unsubscribe' | 'txn-status';

/** Readable, deterministic: one subscription workflow per registry and code. */
export const subscriptionWorkflowId = (registry: RegistryKey, code: string) => `dci-subscription/${registry}/${code}`;
