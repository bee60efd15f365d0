import type { Deps } from '../../deps';
import { withLogContext } from '../../logger';
import {
  completeConsumerDeletion,
  failConsumerDeletion,
  passForgotten,
  prepareConsumerDeletion,
  removeOldOperations,
  type PassToForget,
} from './service';

/** Consumer deletion (seed 001): operation and pass IDs in, counts out; log lines carry the correlation ID. */
export function createConsumerDeletionActivities(deps: Deps) {
  const traced = <T>(correlationId: string | undefined, operationId: string, fn: () => Promise<T>) =>
    withLogContext({ correlationId, operationId }, fn);
  return {
    async prepareConsumerDeletion(operationId: string, gracePeriodMs: number, correlationId?: string): Promise<PassToForget[]> {
      return traced(correlationId, operationId, () => prepareConsumerDeletion(deps.db, operationId, gracePeriodMs));
    },
    async passForgotten(passId: string): Promise<boolean> {
      return passForgotten(deps.db, passId);
    },
    async completeConsumerDeletion(operationId: string, correlationId?: string): Promise<{ status: string }> {
      return traced(correlationId, operationId, async () => ({ status: (await completeConsumerDeletion(deps.db, operationId)).status }));
    },
    async failConsumerDeletion(operationId: string, errorCode: string, error: string, correlationId?: string): Promise<void> {
      return traced(correlationId, operationId, () => failConsumerDeletion(deps.db, operationId, errorCode, error));
    },
    async removeOldConsumerOperations(): Promise<number> {
      return removeOldOperations(deps.db);
    },
  };
}

export type ConsumerDeletionActivities = ReturnType<typeof createConsumerDeletionActivities>;
