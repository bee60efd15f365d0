import { registerErasure } from '../registry';
import { eraseNotifications } from '../../../notifications/outbox';

/**
 * Async issuance (seed 000): the request that issued a pass holds the issuee's identity, contact
 * details, the pass's dynamic fields and reference, maybe a photo, and its invitation / code
 * messages in the outbox (reference = request ID).
 */
registerErasure({
  name: 'async_issuance_requests',
  async erase(trx, passes) {
    const requests = await trx('async_issuance_requests')
      .whereIn('issuance_pass_id', passes.map((p) => p.id))
      .select('id', 'photo_file_id');
    if (!requests.length) return 0;
    const ids = requests.map((r) => r.id);
    await trx('async_issuance_requests').whereIn('id', ids).update({
      identity_name: null,
      identity_email: null,
      identity_phone: null,
      notification_email: null,
      notification_phone: null,
      verification_email: null,
      verification_phone: null,
      photo_file_id: null,
      pass_dynamic_fields: '{}',
      pass_external_reference_id: '',
    });
    const photos = requests.map((r) => r.photo_file_id).filter(Boolean);
    if (photos.length) await trx('stored_files').whereIn('id', photos).delete();
    await eraseNotifications(trx, ids);
    return requests.length;
  },
});
