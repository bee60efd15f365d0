import { Context } from '@temporalio/activity';
import type { Deps } from '../../deps';
import { sharedChannels } from '../../notifications/channels';
import { deliverChunk } from '../../notifications/delivery';
import { SealedParams } from '../../notifications/sealedParams';

/** Email/SMS delivery: one activity per chunk of messages, never one per message. */
export function createNotificationActivities(deps: Deps) {
  const sealed = new SealedParams(deps.config);
  return {
    async deliverNotificationChunk(dispatchKey: string) {
      const ctx = Context.current();
      // The run leasing the rows: a retry of this activity (same workflow) takes its rows back at once.
      const owner = ctx.info.workflowExecution?.workflowId ?? ctx.info.activityId;
      const { chunkSize, concurrency } = deps.config.notifications;
      return deliverChunk({ db: deps.db, channels: sharedChannels(deps.config), sealed }, dispatchKey, owner, {
        chunkSize,
        concurrency,
        heartbeat: () => ctx.heartbeat(),
      });
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
