import { z } from 'zod';
import { beaconRequestSchema, locationRequestSchema, templateRequestSchema, templateTypeFilterSchema } from '../../../domain/catalogue';
import type { Catalogue, CatalogueRow } from '../../../services/catalogue';
import { beacons, deliveryTemplates, locations, toBeacon, toGeolocation, toPassDeliveryTemplate } from '../../../services/catalogueKinds';
import { batchSize, MAX_BATCH_SIZE, nonEmpty, parseInput } from '../inputs';
import type { Resolver } from '../schema';

const lastDocID = z.string().uuid('must be a lastDocID returned by a previous page').nullish();
const modifiedCursor = z.object({ batchSize, lastModifiedDate: z.date().nullish(), lastDocID });
const templateCursor = z.object({
  passTemplateType: templateTypeFilterSchema,
  batchCount: z.number().int().min(1, 'must be at least 1').max(MAX_BATCH_SIZE, `must be at most ${MAX_BATCH_SIZE}`).nullish(),
  lastCreatedDate: z.date().nullish(),
  lastDocID,
});

/** createX / updateX resolvers of one catalogue kind: validate, write, answer with a message. */
function writers<Input extends { title: string }, Row extends CatalogueRow>(c: Catalogue<Input, Row>, schema: z.ZodType<Input>) {
  const create: Resolver = async (_root, { input }, { deps, principal }) => {
    const row = await c.create(deps.db, principal, parseInput(schema, input));
    return { message: `${c.kind.noun} "${row.title}" created` };
  };
  const update: Resolver = async (_root, { input }, { deps, principal }) => {
    const row = await c.update(deps.db, principal, parseInput(schema, input));
    return { message: `${c.kind.noun} "${row.title}" updated` };
  };
  return { create, update };
}

/** verifyX resolver: `field` is the input's title field name (the seed names it differently per kind). */
function verifier(c: Catalogue<any, any>, field: string): Resolver {
  return async (_root, { input }, { deps, principal }) => {
    const title = parseInput(z.object({ [field]: nonEmpty }), input)[field] as string;
    const { message } = await c.availability(deps.db, principal.org, title);
    return { message };
  };
}

const beaconWriters = writers(beacons, beaconRequestSchema);
const locationWriters = writers(locations, locationRequestSchema);
const templateWriters = writers(deliveryTemplates, templateRequestSchema);

export const catalogueResolvers = {
  Query: {
    async getPaginatedBeacons(_root, { input }, { deps, principal }) {
      const c = parseInput(modifiedCursor, input);
      const page = await beacons.page(deps.db, principal.org, { ...c, lastTimestamp: c.lastModifiedDate });
      return { beacons: page.rows.map(toBeacon), lastModifiedDate: page.lastTimestamp, lastDocID: page.lastDocID };
    },
    async getPaginatedLocations(_root, { input }, { deps, principal }) {
      const c = parseInput(modifiedCursor, input);
      const page = await locations.page(deps.db, principal.org, { ...c, lastTimestamp: c.lastModifiedDate });
      return { locations: page.rows.map(toGeolocation), lastModifiedDate: page.lastTimestamp, lastDocID: page.lastDocID };
    },
    async getPaginatedPassDeliveryTemplates(_root, { input }, { deps, principal }) {
      // Every field of this request is optional, so an omitted input means "the first page of all".
      const c = parseInput(templateCursor, input ?? {});
      const page = await deliveryTemplates.page(
        deps.db,
        principal.org,
        { batchSize: c.batchCount ?? 10, lastTimestamp: c.lastCreatedDate, lastDocID: c.lastDocID },
        { orderBy: 'created_at', where: c.passTemplateType ? { type: c.passTemplateType } : undefined },
      );
      return { passDeliveryTemplates: page.rows.map(toPassDeliveryTemplate), lastCreatedTimestamp: page.lastTimestamp, lastDocID: page.lastDocID };
    },
    verifyBeaconExists: verifier(beacons, 'title'),
    verifyLocationExists: verifier(locations, 'title'),
    verifyDeliveryTemplateAvailable: verifier(deliveryTemplates, 'deliveryTitle'),
  },
  Mutation: {
    createNewBeacon: beaconWriters.create,
    updateBeacon: beaconWriters.update,
    createNewLocation: locationWriters.create,
    updateLocation: locationWriters.update,
    createNewPassDeliveryTemplate: templateWriters.create,
    updatePassDeliveryTemplate: templateWriters.update,
  },
} satisfies Record<string, Record<string, Resolver>>;
