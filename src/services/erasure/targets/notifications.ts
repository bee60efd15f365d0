import { eraseNotifications } from '../../../notifications/outbox';
import { registerErasure } from '../registry';

/**
 * Outgoing messages about a pass: notification outbox entries referencing the pass (by ID or
 * serial: pass delivery emails and SMS with their rendered bodies and attempt errors), and callback
 * payloads naming its serial number (pass status callbacks). Payloads keep only the keys known to
 * carry no personal data.
 */
registerErasure({
  name: 'notification_outbox',
  async erase(trx, passes) {
    return eraseNotifications(trx, passes.flatMap((p) => [p.id, p.serialNumber]));
  },
});

/** Keys a pass callback may keep after erasure (seed 003's pass status callback, result callbacks). */
export const NON_PERSONAL_CALLBACK_KEYS = [
  'serialNumber', 'deviceOS', 'status', 'requestID', 'successCount', 'successResultsURL', 'failureCount', 'failureResultsURL',
];

registerErasure({
  name: 'callback_deliveries.payload',
  async erase(trx, passes) {
    const { rowCount } = await trx.raw(
      `UPDATE callback_deliveries
          SET payload = COALESCE((SELECT jsonb_object_agg(key, value) FROM jsonb_each(payload) WHERE key = ANY(?::text[])), '{}'::jsonb)
        WHERE jsonb_typeof(payload) = 'object'
          AND payload->>'serialNumber' = ANY(?::text[])
          AND EXISTS (SELECT 1 FROM jsonb_object_keys(payload) k WHERE k <> ALL(?::text[]))`,
      [NON_PERSONAL_CALLBACK_KEYS, passes.map((p) => p.serialNumber), NON_PERSONAL_CALLBACK_KEYS],
    );
    return rowCount ?? 0;
  },
});
