import { DomainError } from '../services/errors';
import type { Principal, Role } from './tokens';

/**
 * Who may do what: the one permission table of organisation users' roles, enforced by `authorize`
 * (called for every GraphQL root field by the schema builder, and by the REST routes that take an
 * organisation token). The README's "Roles and permissions" table is this table.
 */
export const PERMISSIONS = {
  read: 'read pass designs, passes, distribution/invalidation requests, catalogue, usage reports, async issuance requests',
  distribute: 'distribute passes, async issuance requests, pass download links, distribution result files',
  invalidate: 'invalidate passes, invalidation result files',
  updatePasses: 'update pass payloads and pass user details',
  catalogue: 'create and update beacons, locations, delivery templates',
  forget: 'forget a pass user\'s details (GDPR)',
  audit: 'audit log reports (they contain users\' emails)',
  billing: 'invoices and purchase order numbers',
  administer: 'operations not classified in this table',
  /** Authorised by the issuee's claim token, not by a role: anyone holding the token. */
  claim: 'the issuee\'s claim mutations',
} as const;
export type Permission = keyof typeof PERMISSIONS;

const ALL = Object.keys(PERMISSIONS) as Permission[];
const ISSUING: Permission[] = ['read', 'distribute', 'invalidate', 'updatePasses', 'claim'];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  Owner: ALL,
  Admin: ALL,
  'Pass-Issuer': ISSUING,
  // What an integration needs: issuing plus catalogue set-up; never audit, billing or forgetting.
  'Api-Dev': [...ISSUING, 'catalogue'],
};

/**
 * Every operation an organisation token can call: GraphQL root fields by name, REST routes as
 * "METHOD /path", result files as "file:<kind>". An operation missing here is Owner/Admin only.
 */
export const OPERATION_PERMISSIONS: Record<string, Permission> = {
  // Queries
  getOrganisationPassDesignByTitle: 'read',
  getPaginatedPassDesigns: 'read',
  verifyPassDesignTitleExists: 'read',
  getSerialNumberByPrefix: 'read',
  getPassesByExternalRefID: 'read',
  getPaginatedDistributionRequests: 'read',
  getPaginatedInvalidationRequests: 'read',
  getPaginatedBeacons: 'read',
  getPaginatedLocations: 'read',
  getPaginatedPassDeliveryTemplates: 'read',
  verifyBeaconExists: 'read',
  verifyLocationExists: 'read',
  verifyDeliveryTemplateAvailable: 'read',
  getPassDesignMonthlyReport: 'read',
  getUsageReporting: 'read',
  asyncIssuanceRequest: 'read',
  findAsyncIssuanceRequests: 'read',
  getPaginatedReportingRequest: 'audit',
  getReportingRequestByReportID: 'audit',
  getPaginatedInvoices: 'billing',
  // Mutations
  distributeIndividualPass: 'distribute',
  distributePassBatch: 'distribute',
  distributePassesCSV: 'distribute',
  externalPassDownload: 'distribute',
  createAsyncIssuanceRequest: 'distribute',
  cancelAsyncIssuanceRequest: 'distribute',
  resendAsyncIssuanceNotification: 'distribute',
  invalidateIndividualPass: 'invalidate',
  invalidateBatchPasses: 'invalidate',
  invalidatePassesCSV: 'invalidate',
  updatePassPayload: 'updatePasses',
  updatePassUserDetails: 'updatePasses',
  createNewBeacon: 'catalogue',
  updateBeacon: 'catalogue',
  createNewLocation: 'catalogue',
  updateLocation: 'catalogue',
  createNewPassDeliveryTemplate: 'catalogue',
  updatePassDeliveryTemplate: 'catalogue',
  forgetUserDetailsForPass: 'forget',
  generateAuditLogReport: 'audit',
  uploadOrgPurchaseOrderNumber: 'billing',
  startAsyncIssuanceClaim: 'claim',
  completeAsyncIssuanceClaim: 'claim',
  // REST
  'GET /invoices/:invoiceNumber': 'billing',
  'file:distribution-success': 'distribute',
  'file:distribution-failure': 'distribute',
  'file:invalidation-success': 'invalidate',
  'file:invalidation-failure': 'invalidate',
  'file:audit-log-report': 'audit',
};

/** The permission an operation needs; unknown operations need one only Owner and Admin hold. */
export function permissionOf(operation: string): Permission {
  return Object.hasOwn(OPERATION_PERMISSIONS, operation) ? OPERATION_PERMISSIONS[operation] : 'administer';
}

export function allows(roles: readonly Role[], operation: string): boolean {
  const needed = permissionOf(operation);
  return needed === 'claim' || roles.some((r) => ROLE_PERMISSIONS[r].includes(needed));
}

/** Throws FORBIDDEN (naming the operation, the caller's roles and the roles that may) unless allowed. */
export function authorize(principal: Principal | undefined, operation: string): void {
  const needed = permissionOf(operation);
  if (needed === 'claim') return;
  const roles = principal?.roles ?? [];
  if (allows(roles, operation)) return;
  const may = (Object.keys(ROLE_PERMISSIONS) as Role[]).filter((r) => ROLE_PERMISSIONS[r].includes(needed));
  throw new DomainError(
    'FORBIDDEN',
    `${operation}: your role${roles.length === 1 ? '' : 's'} (${roles.join(', ') || 'none'}) may not ${PERMISSIONS[needed]}; that needs ${may.join(' or ')}`,
  );
}
