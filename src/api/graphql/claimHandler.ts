import type { RequestHandler } from 'express';
import { GraphQLError, Kind, SelectionSetNode, ValidationRule } from 'graphql';
import { createHandler } from 'graphql-http/lib/use/express';
import type { Principal } from '../../auth/tokens';
import type { Deps } from '../../deps';
import { FileStore } from '../../services/files';
import { PassLinks } from '../../services/passLinks';
import type { GraphQLContext } from './context';
import { limitedParse, limitRules } from './limits';
import { markUnavailable, withUnavailableStatus } from './unavailable';
import { asyncIssuanceResolvers } from './resolvers/asyncIssuance';
import { buildExecutableSchema } from './schema';

/** What an issuee, who has no organisation token, may call: their claim token is their credential. */
export const CLAIM_FIELDS = new Set(['startAsyncIssuanceClaim', 'completeAsyncIssuanceClaim', '__typename']);

/** Refuses any operation that selects anything but the claim mutations. */
export const onlyClaimMutations: ValidationRule = (context) => ({
  OperationDefinition(node) {
    const roots: string[] = [];
    const visit = (set: SelectionSetNode) => {
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) roots.push(s.name.value);
        else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet);
        else {
          const fragment = context.getFragment(s.name.value);
          if (fragment) visit(fragment.selectionSet);
        }
      }
    };
    visit(node.selectionSet);
    const refused = roots.filter((f) => !CLAIM_FIELDS.has(f));
    if (node.operation !== 'mutation' || refused.length) {
      context.reportError(
        new GraphQLError(
          `/claim/query serves only the mutations startAsyncIssuanceClaim and completeAsyncIssuanceClaim (authorised by the claim token)${
            refused.length ? `; refused: ${refused.join(', ')}` : ''
          }. Everything else needs an organisation token at /query`,
          { nodes: node, extensions: { code: 'FORBIDDEN' } },
        ),
      );
    }
  },
});

/** POST /claim/query: the same schema, no organisation token, restricted to the claim mutations. */
export function claimGraphqlHandler(deps: Deps): RequestHandler {
  const schema = buildExecutableSchema(asyncIssuanceResolvers);
  const links = new PassLinks(deps.config);
  const files = new FileStore(deps.config);
  return withUnavailableStatus(createHandler<GraphQLContext>({
    schema,
    onOperation: markUnavailable,
    parse: limitedParse,
    // The issuee needs no introspection: the claim endpoint never offers it.
    validationRules: (_req, _args, specified) => [...specified, onlyClaimMutations, ...limitRules(false)],
    context: (req): GraphQLContext => ({
      // No organisation user here; the validation rule admits only resolvers that never read one.
      principal: undefined as unknown as Principal,
      requestId: req.raw.requestId,
      deps,
      links,
      files,
    }),
  }));
}
