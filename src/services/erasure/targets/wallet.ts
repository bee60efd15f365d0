import { registerErasure } from '../registry';

/**
 * Wallet devices a pass was installed on: the device library identifier and push token identify
 * the end user's phone. A forgotten pass is expired and gets no more updates, so its registrations
 * are deleted. (pass_wallet_events keep only status, device OS and time: no personal data.)
 */
registerErasure({
  name: 'device_registrations',
  async erase(trx, passes) {
    return trx('device_registrations').whereIn('pass_id', passes.map((p) => p.id)).del();
  },
});
