import { Context } from '@temporalio/activity';
import type { Deps } from '../src/deps';
import { sharedChannels } from '../src/notifications/channels';
import { deliverChunk } from '../src/notifications/delivery';
import { SealedParams } from '../src/notifications/sealedParams';

/** Email/SMS delivery: one activity per chunk of messages, never one per message. */
export function notificationActivities(deps: Deps) {
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
