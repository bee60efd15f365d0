import {
  ASTVisitor,
  FieldNode,
  getNamedType,
  getNullableType,
  GraphQLError,
  GraphQLObjectType,
  isListType,
  isObjectType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';

/**
 * Limits on what one GraphQL document may ask for, checked before anything runs (README "GraphQL
 * limits"). Fragments are expanded, so spreading one fragment many times costs what it selects.
 *
 * - depth: nesting of selections below the operation (root field = 1);
 * - aliases: aliased fields in the operation (the way to run one mutation many times in a request);
 * - root fields: top-level fields of one operation;
 * - cost: every field selected costs 1, and everything below a list-typed field costs LIST_FACTOR
 *   times as much (a page of items), so wide and deep list selections are bounded together;
 * - tokens: the parser stops a document with more lexical tokens (protects validation itself).
 */
export const GRAPHQL_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxRootFields: 15,
  maxCost: 5000,
  listFactor: 10,
  maxTokens: 5000,
} as const;

interface Measure {
  depth: number;
  aliases: number;
  cost: number;
}

function measure(context: ValidationContext, set: SelectionSetNode, parent: GraphQLObjectType | undefined, level: number, seen: Set<string>): Measure {
  const out: Measure = { depth: level, aliases: 0, cost: 0 };
  const add = (m: Measure) => {
    out.depth = Math.max(out.depth, m.depth);
    out.aliases += m.aliases;
    out.cost += m.cost;
  };
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) add(measureField(context, s, parent, level + 1, seen));
    else if (s.kind === Kind.INLINE_FRAGMENT) {
      const cond = s.typeCondition ? context.getSchema().getType(s.typeCondition.name.value) : parent;
      add(measure(context, s.selectionSet, isObjectType(cond) ? cond : parent, level, seen));
    } else {
      const name = s.name.value;
      const fragment = context.getFragment(name);
      if (!fragment || seen.has(name)) continue; // unknown or cyclic spreads are the standard rules' errors
      const cond = context.getSchema().getType(fragment.typeCondition.name.value);
      add(measure(context, fragment.selectionSet, isObjectType(cond) ? cond : parent, level, new Set([...seen, name])));
    }
  }
  return out;
}

function measureField(context: ValidationContext, field: FieldNode, parent: GraphQLObjectType | undefined, level: number, seen: Set<string>): Measure {
  const def = parent?.getFields()[field.name.value];
  const own: Measure = { depth: level, aliases: field.alias ? 1 : 0, cost: 1 };
  if (!field.selectionSet) return own;
  const type = def ? getNamedType(def.type) : undefined;
  const inner = measure(context, field.selectionSet, isObjectType(type) ? type : undefined, level, seen);
  const factor = def && isListType(getNullableType(def.type)) ? GRAPHQL_LIMITS.listFactor : 1;
  return { depth: Math.max(own.depth, inner.depth), aliases: own.aliases + inner.aliases, cost: own.cost + factor * inner.cost };
}

/** One validation rule for depth, aliases, root fields and cost, each refusal naming the limit. */
export const queryLimits: ValidationRule = (context): ASTVisitor => ({
  OperationDefinition(node) {
    const schema = context.getSchema();
    const root = node.operation === 'mutation' ? schema.getMutationType() : node.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
    const m = measure(context, node.selectionSet, root ?? undefined, 0, new Set());
    const rootFields = node.selectionSet.selections.length;
    const L = GRAPHQL_LIMITS;
    const refuse = (what: string) => context.reportError(new GraphQLError(what, { nodes: node, extensions: { code: 'QUERY_TOO_COMPLEX' } }));
    if (m.depth > L.maxDepth) refuse(`query depth ${m.depth} exceeds the limit of ${L.maxDepth}`);
    if (m.aliases > L.maxAliases) refuse(`${m.aliases} aliased fields exceed the limit of ${L.maxAliases} per operation`);
    if (rootFields > L.maxRootFields) refuse(`${rootFields} top-level fields exceed the limit of ${L.maxRootFields} per operation`);
    if (m.cost > L.maxCost) refuse(`query cost ${m.cost} exceeds the limit of ${L.maxCost} (each field 1, ×${L.listFactor} below a list)`);
  },
});

/** The extra validation rules of a handler: the limits, and no introspection unless allowed. */
export function limitRules(introspection: boolean): ValidationRule[] {
  return introspection ? [queryLimits] : [queryLimits, NoSchemaIntrospectionCustomRule];
}

/** graphql's parse with a token limit, so a huge document is refused before validation walks it. */
export function limitedParse(source: Parameters<typeof parse>[0]) {
  return parse(source, { maxTokens: GRAPHQL_LIMITS.maxTokens });
}
