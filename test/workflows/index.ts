/**
 * The test suite's workflow bundle (built once by globalSetup): every shipped workflow plus the
 * workflows only tests run.
 */
export * from '../../workflows';
export { scheduledPing } from './scheduledPing';
