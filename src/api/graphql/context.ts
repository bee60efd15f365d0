import type { Principal } from '../../auth/tokens';
import type { Deps } from '../../deps';
import type { FileStore } from '../../services/files';
import type { PassLinks } from '../../services/passLinks';

/** Per-request context: the verified caller and the shared dependencies. */
// A type alias (not an interface) so it satisfies graphql-http's Record<PropertyKey, unknown> constraint.
export type GraphQLContext = {
  principal: Principal;
  requestId: string;
  deps: Deps;
  links: PassLinks;
  files: FileStore;
  /** The client's Idempotency-Key header: a retried job-starting mutation starts one job. */
  idempotencyKey?: string;
};
