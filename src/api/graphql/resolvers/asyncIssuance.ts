import { GraphQLError, GraphQLResolveInfo, Kind, SelectionSetNode } from 'graphql';
import { z } from 'zod';
import type { Deps } from '../../../deps';
import { EXPIRIES, isStatusFinal, STATUSES } from '../../../domain/asyncIssuance';
import { E164 } from '../../../domain/passDetails';
import { cancelAsyncIssuanceRequest, createAsyncIssuanceRequest, resendAsyncIssuanceNotification } from '../../../jobs/asyncIssuance/actions';
import { ClaimSecrets } from '../../../jobs/asyncIssuance/claimSecrets';
import { completeAsyncIssuanceClaim, startAsyncIssuanceClaim } from '../../../jobs/asyncIssuance/claims';
import { AsyncIssuanceRow, findAsyncIssuanceRequest, findAsyncIssuanceRequests, listCommunications } from '../../../jobs/asyncIssuance/requests';
import type { GraphQLContext } from '../context';
import { invalid } from '../../../services/errors';
import { parseInput } from '../inputs';
import type { Resolvers } from '../schema';

const secretsByDeps = new WeakMap<Deps, ClaimSecrets>();
function claimSecrets(deps: Deps): ClaimSecrets {
  let s = secretsByDeps.get(deps);
  if (!s) secretsByDeps.set(deps, (s = new ClaimSecrets(deps.config)));
  return s;
}

const text = z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
const email = z.string().trim().email('must be an email address');
const phone = z.string().trim().regex(E164, 'must be a phone number in E.164 format (+447700900123)');
const contact = z
  .object({ email: email.nullish(), phone: phone.nullish() })
  .refine((c) => c.email || c.phone, 'needs an email and/or a phone');

const createInput = z.object({
  contract: z
    .object({ id: z.string().uuid('must be a pass design ID').nullish(), title: text.nullish() })
    .refine((c) => Boolean(c.id) !== Boolean(c.title), 'give exactly one of id or title'),
  identity: z
    .object({ name: text.nullish(), email: email.nullish(), phone: phone.nullish() })
    .refine((i) => i.name || i.email || i.phone, 'needs a name, an email and/or a phone'),
  expiry: z.enum(EXPIRIES),
  photoCapture: z.boolean().nullish(),
  contact: z.object({ notification: contact.nullish(), verification: contact.nullish() }).nullish(),
  dynamicFields: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be a map of strings' }).nullish(),
  externalReferenceID: z.string().max(256, 'must be at most 256 characters').nullish(),
});

/** Parses top-level field arguments (not under `input`): errors name the argument itself. */
function parseArgs<T extends z.ZodTypeAny>(schema: T, args: unknown): z.infer<T> {
  const r = schema.safeParse(args);
  if (!r.success) throw invalid(r.error);
  return r.data;
}

const findArgs = z.object({
  where: z
    .object({
      status: z.array(z.enum(STATUSES)).nullish(),
      contractId: z.string().nullish(),
      identityEmail: z.string().trim().nullish(),
      createdFrom: z.date().nullish(),
      createdTo: z.date().nullish(),
    })
    .nullish()
    .transform((w) => w ?? {}),
  limit: z.number().max(100, 'must be at most 100').nullish().transform((v) => v ?? 20),
  offset: z.number().nullish().transform((v) => v ?? 0),
  orderBy: z.enum(['CREATED_AT', 'EXPIRES_ON', 'UPDATED_AT']).nullish().transform((v) => v ?? 'CREATED_AT'),
  orderDirection: z.enum(['ASC', 'DESC']).nullish().transform((v) => v ?? 'DESC'),
});

const communicationArgs = z.object({
  limit: z.number().max(100, 'must be at most 100').nullish().transform((v) => v ?? 100),
  offset: z.number().nullish().transform((v) => v ?? 0),
  orderBy: z.enum(['CREATED_AT', 'SENT_AT']).nullish().transform((v) => v ?? 'CREATED_AT'),
  orderDirection: z.enum(['ASC', 'DESC']).nullish().transform((v) => v ?? 'ASC'),
  where: z
    .object({ channel: z.string().nullish(), status: z.string().nullish(), purpose: z.string().nullish() })
    .nullish()
    .transform((w) => w ?? {}),
});

/** Seed 000: derived from contact data, so only for a single request, and only while pending. */
const SINGLE_REQUEST_FIELDS = ['hasContactNotificationSet', 'hasContactVerificationSet', 'photoCapture'];

function selectedFields(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) names.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet);
      else visit(info.fragments[s.name.value]?.selectionSet);
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return names;
}

const pending = (r: AsyncIssuanceRow) => r.status === 'PENDING';

export const asyncIssuanceResolvers: Resolvers = {
  Query: {
    async asyncIssuanceRequest(_root, { id }, { deps, principal }) {
      return (await findAsyncIssuanceRequest(deps.db, principal.org, id)) ?? null;
    },
    async findAsyncIssuanceRequests(_root, args, { deps, principal }, info) {
      const asked = SINGLE_REQUEST_FIELDS.filter((f) => selectedFields(info).has(f));
      if (asked.length) {
        throw new GraphQLError(
          `${asked.join(', ')} cannot be queried through findAsyncIssuanceRequests: ${asked.length > 1 ? 'these fields are' : 'this field is'} derived from contact data, which is relatively expensive to query, so only a single request may be asked for it at a time (use asyncIssuanceRequest(id))`,
          { extensions: { code: 'BAD_USER_INPUT', fields: asked } },
        );
      }
      return findAsyncIssuanceRequests(deps.db, principal.org, parseArgs(findArgs, args));
    },
  },
  Mutation: {
    async createAsyncIssuanceRequest(_root, { input }, { deps, principal }) {
      const row = await createAsyncIssuanceRequest(deps, principal, parseInput(createInput, input));
      return { asyncIssuanceRequest: row, claimUrl: claimSecrets(deps).claimUrl(row.id) };
    },
    async cancelAsyncIssuanceRequest(_root, { id }, { deps, principal }) {
      return cancelAsyncIssuanceRequest(deps, principal, id);
    },
    async resendAsyncIssuanceNotification(_root, { id }, { deps, principal }) {
      return resendAsyncIssuanceNotification(deps, principal, id);
    },
    async startAsyncIssuanceClaim(_root, { claimToken }, { deps, links }) {
      return startAsyncIssuanceClaim({ deps, links, secrets: claimSecrets(deps) }, claimToken);
    },
    async completeAsyncIssuanceClaim(_root, { claimToken, code, photo }, { deps, links }) {
      return completeAsyncIssuanceClaim({ deps, links, secrets: claimSecrets(deps) }, claimToken, code, photo);
    },
  },
  AsyncIssuanceRequest: {
    async communications(r: AsyncIssuanceRow, args, { deps }: GraphQLContext) {
      return listCommunications(deps.db, r.id, parseArgs(communicationArgs, args));
    },
    async contract(r: AsyncIssuanceRow, _args, { deps }: GraphQLContext) {
      const d = await deps.db('pass_designs').where({ id: r.pass_design_id }).first('id', 'title');
      return { id: d.id, name: d.title };
    },
    createdAt: (r: AsyncIssuanceRow) => r.created_at,
    createdBy: (r: AsyncIssuanceRow) => ({ id: r.created_by, email: r.created_by }),
    expiresOn: (r: AsyncIssuanceRow) => r.expires_on,
    failureReason: (r: AsyncIssuanceRow) => (r.status === 'FAILED' ? r.failure_reason : null),
    hasContactNotificationSet: (r: AsyncIssuanceRow) => (pending(r) ? Boolean(r.notification_email || r.notification_phone) : null),
    hasContactVerificationSet: (r: AsyncIssuanceRow) => (pending(r) ? Boolean(r.verification_email || r.verification_phone) : null),
    photoCapture: (r: AsyncIssuanceRow) => (pending(r) ? r.photo_capture : null),
    identity: (r: AsyncIssuanceRow) => ({ id: r.identity_id, name: r.identity_name, email: r.identity_email, phone: r.identity_phone }),
    isStatusFinal: (r: AsyncIssuanceRow) => isStatusFinal(r.status),
    async issuance(r: AsyncIssuanceRow, _args, { deps, links }: GraphQLContext) {
      if (!r.issuance_pass_id) return null;
      const pass = await deps.db('passes').where({ id: r.issuance_pass_id }).first('id', 'serial_number', 'created_at');
      const apiKey = links.apiKey({ serialNumber: pass.serial_number, organisationId: r.organisation_id });
      return { id: pass.id, serialNumber: pass.serial_number, passDownloadLink: links.downloadLink(apiKey), issuedAt: r.issued_at ?? pass.created_at };
    },
    updatedAt: (r: AsyncIssuanceRow) => r.updated_at,
    updatedBy: (r: AsyncIssuanceRow) => (r.updated_by ? { id: r.updated_by, email: r.updated_by } : null),
  },
};
