import type { Principal } from '../../auth/tokens';
import type { Deps } from '../../deps';
import type { PassLinks } from '../../services/passLinks';

/** Per-request context: the verified caller and the shared dependencies. */
// A type alias (not an interface) so it satisfies graphql-http's Record<PropertyKey, unknown> constraint.
export type GraphQLContext = {
  principal: Principal;
  requestId: string;
  deps: Deps;
  links: PassLinks;
};
