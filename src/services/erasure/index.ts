/**
 * Every place that holds personal data about a pass registers itself here (one import per
 * feature; append new ones). See registry.ts for registerErasure / registerColumnErasure.
 */
import './targets/distribution';
import './targets/notifications';
import './targets/asyncIssuance';
import './targets/wallet';

export { erasureTargets, registerErasure, registerColumnErasure } from './registry';
export type { ErasureTarget, ForgottenPass, RowMatch } from './registry';
