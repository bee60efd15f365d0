import {
  getNamedType,
  GraphQLArgument,
  GraphQLField,
  GraphQLInputType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isAbstractType,
  isScalarType,
} from 'graphql';
import { OPERATION_PERMISSIONS, permissionOf, ROLE_PERMISSIONS } from '../../src/auth/permissions';
import { ROLES, Role } from '../../src/auth/tokens';
import { buildExecutableSchema } from '../../src/api/graphql/schema';
import { FileStore } from '../../src/services/files';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

/**
 * Security finding 3: roles were parsed and never checked. Every operation an organisation token
 * can call is tried with a token of every role: the permission table decides, nothing else.
 */
const schema: GraphQLSchema = buildExecutableSchema();
const rootFields = [
  ...Object.values(schema.getQueryType()!.getFields()).map((f) => ['query', f] as const),
  ...Object.values(schema.getMutationType()!.getFields()).map((f) => ['mutation', f] as const),
];

/** A literal of the argument's type that passes GraphQL validation (resolvers may still refuse it). */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type));
    return `{${fields.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')}}`;
  }
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
      case 'Float':
      case 'Int64':
      case 'PositiveInt':
        return '1';
      case 'Boolean':
        return 'true';
      case 'Time':
      case 'DateTime':
        return '"2026-01-01T00:00:00Z"';
      case 'Map':
        return '{}';
      case 'Upload':
        return 'null';
      default:
        return '"x"';
    }
  }
  throw new Error(`no literal for ${String(type)}`);
}

function operationText(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const args = field.args.filter((a: GraphQLArgument) => isNonNullType(a.type));
  const argText = args.length ? `(${args.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})` : '';
  const named = getNamedType(field.type);
  const selection = isObjectType(named) || isAbstractType(named) ? ' { __typename }' : '';
  return `${kind} { ${field.name}${argText}${selection} }`;
}

const isRoleRefusal = (e: { message: string; extensions?: Record<string, unknown> }) => e.extensions?.code === 'FORBIDDEN' && /may not/.test(e.message);

describe('role permission table (finding 3)', () => {
  it('classifies every GraphQL operation of the schema, and names only real ones', () => {
    const names = rootFields.map(([, f]) => f.name);
    expect(names.filter((n) => !Object.hasOwn(OPERATION_PERMISSIONS, n))).toEqual([]);
    const rest = Object.keys(OPERATION_PERMISSIONS).filter((n) => !names.includes(n));
    expect(rest.every((n) => /^(GET|POST|PUT|PATCH|DELETE) \/|^file:/.test(n))).toBe(true);
  });

  it('Owner and Admin may do everything; Api-Dev and Pass-Issuer never forget, audit or bill', () => {
    for (const op of Object.keys(OPERATION_PERMISSIONS)) {
      expect(ROLE_PERMISSIONS.Owner).toContain(permissionOf(op));
      expect(ROLE_PERMISSIONS.Admin).toContain(permissionOf(op));
    }
    for (const role of ['Api-Dev', 'Pass-Issuer'] as const) {
      expect(ROLE_PERMISSIONS[role]).not.toEqual(expect.arrayContaining(['forget']));
      for (const p of ['forget', 'audit', 'billing', 'administer'] as const) expect(ROLE_PERMISSIONS[role]).not.toContain(p);
    }
    expect(permissionOf('someOperationNobodyClassified')).toBe('administer');
  });

  describe('over HTTP, every operation with every role', () => {
    let h: Harness;
    let org: string;
    const tokens = {} as Record<Role, string>;
    beforeAll(async () => {
      h = await startHarness({ worker: false });
      org = (await createTestOrg(h.deps)).org.id;
      for (const r of ROLES) tokens[r] = await tokenFor(h.deps, org, [r], `${r.toLowerCase()}@example.test`);
    });
    afterAll(() => h.close());

    // The rows this organisation owns: other test files write to the same tables at the same time.
    const counts = async () => {
      const out: Record<string, number> = {};
      for (const t of ['audit_events', 'distribution_requests', 'invalidation_requests', 'async_issuance_requests', 'beacons', 'locations', 'pass_delivery_templates', 'stored_files', 'workflow_starts']) {
        const exists = await h.deps.db.schema.hasTable(t);
        if (exists) out[t] = Number((await h.deps.db(t).where({ organisation_id: org }).count<{ c: string }[]>('* as c'))[0].c);
      }
      return out;
    };

    const cases = rootFields.flatMap(([kind, field]) => ROLES.map((role) => [field.name, role, kind, field] as const));
    it.each(cases.map(([name, role, kind, field]) => [`${name} as ${role}`, name, role, kind, field] as const))(
      '%s',
      async (_label, name, role, kind, field) => {
        const allowed = ROLE_PERMISSIONS[role].includes(permissionOf(name)) || permissionOf(name) === 'claim';
        const before = allowed ? undefined : await counts();
        const res = await gql(h.baseUrl, tokens[role], operationText(kind, field));
        const refused = (res.body.errors ?? []).some(isRoleRefusal);
        expect({ name, role, refused }).toEqual({ name, role, refused: !allowed });
        if (!allowed) {
          expect(res.body.errors![0].message).toMatch(new RegExp(`^${name}: your role \\(${role}\\) may not`));
          expect(await counts()).toEqual(before);
        }
      },
    );

    it.each(ROLES)('GET /invoices/:invoiceNumber and result files as %s', async (role) => {
      const files = new FileStore(h.deps.config);
      const get = (url: string) => fetch(url.replace(h.deps.config.publicBaseUrl, h.baseUrl), { headers: { authorization: `Bearer ${tokens[role]}` } });
      const inv = await get(`${h.baseUrl}/invoices/INV-000001`);
      const billing = ROLE_PERMISSIONS[role].includes('billing');
      expect(inv.status === 403).toBe(!billing);
      if (!billing) expect(((await inv.json()) as { message: string }).message).toMatch(/may not invoices/);
      for (const kind of ['distribution-success', 'distribution-failure', 'invalidation-success', 'invalidation-failure', 'audit-log-report']) {
        const stored = await files.store(h.deps.db, { organisationId: org, kind, filename: `${kind}.csv`, contentType: 'text/csv', content: Buffer.from('a\n1\n') });
        const res = await get(stored.url);
        expect({ kind, status: res.status }).toEqual({ kind, status: ROLE_PERMISSIONS[role].includes(permissionOf(`file:${kind}`)) ? 200 : 403 });
      }
    });
  });
});
