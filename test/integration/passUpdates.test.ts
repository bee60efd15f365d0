import { expirePassesNow } from '../../src/jobs/passExpiry/service';
import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

/** updatePassPayload and updatePassUserDetails (seed 003) through /query on real servers. */
const PAYLOAD = `mutation UpdatePassPayload($input: UpdatePassPayloadRequest) { updatePassPayload(input: $input) { message } }`;
const DETAILS = `mutation UpdatePassUserDetails($input: UpdatePassUserDetails) { updatePassUserDetails(input: $input) { message } }`;

describe('pass updates', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  async function setup() {
    const t = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, t.org.id, ['Owner'], 'editor@example.test');
    for (const title of ['Front door', 'Back door']) {
      const r = await gql(h.baseUrl, token, `mutation($i: BeaconRequest) { createNewBeacon(input: $i) { message } }`, {
        i: { title, proximityUUID: 'ABA71543-A2C5-4FB1-AFCF-A3AB01234567', major: 1, minor: 2, messageText: 'Hi' },
      });
      expect(r.body.errors).toBeUndefined();
    }
    const loc = await gql(h.baseUrl, token, `mutation($i: CreateUpdateLocationRequest) { createNewLocation(input: $i) { message } }`, { i: { title: 'Lobby', latitude: 56.48, longitude: -3.01, messageText: 'Hi' } });
    expect(loc.body.errors).toBeUndefined();
    const res = await gql(h.baseUrl, token, `mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { serialNumber } } }`, {
      i: { title: t.title, passDetails: [{ externalReferenceID: 'r', payload: 'old', dynamicFields: { membership_number: '1', membership_name: 'Ann' }, beacons: ['Front door'], locations: ['Lobby'] }] },
    });
    const serialNumber: string = res.body.data.distributeIndividualPass.successList[0].serialNumber;
    const pass = () => h.deps.db('passes').where({ serial_number: serialNumber }).first('id', 'payload', 'dynamic_field_data', 'beacons', 'locations', 'modifier', 'last_modified');
    return { ...t, token, serialNumber, pass };
  }
  const error = (res: { body: { errors?: { message: string; extensions?: Record<string, unknown> }[] } }) => {
    const e = res.body.errors?.[0];
    return e && { code: e.extensions?.code, field: e.extensions?.field, message: e.message };
  };

  it('updatePassPayload sets or removes the payload of an active pass, 64 printable ASCII bytes at most', async () => {
    const t = await setup();
    const before = await t.pass();
    const ok = await gql(h.baseUrl, t.token, PAYLOAD, { input: { serialNumber: t.serialNumber, payload: 'abc123' } });
    expect(ok.body.data.updatePassPayload.message).toBe(`Pass ${t.serialNumber} payload updated`);
    const after = await t.pass();
    expect([after.payload, after.modifier, after.last_modified > before.last_modified]).toEqual(['abc123', 'editor@example.test', true]);

    expect(error(await gql(h.baseUrl, t.token, PAYLOAD, { input: { serialNumber: t.serialNumber, payload: 'x'.repeat(65) } }))).toEqual({ code: 'BAD_USER_INPUT', field: 'input.payload', message: 'input.payload: must be at most 64 bytes' });
    expect(error(await gql(h.baseUrl, t.token, PAYLOAD, { input: { serialNumber: t.serialNumber, payload: 'naïve' } }))).toMatchObject({ field: 'input.payload', message: 'input.payload: must contain only printable ASCII characters' });
    expect((await t.pass()).payload).toBe('abc123');
    expect((await gql(h.baseUrl, t.token, PAYLOAD, { input: { serialNumber: t.serialNumber, payload: '' } })).body.data.updatePassPayload.message).toMatch(/payload removed/);
    expect((await t.pass()).payload).toBeNull();

    expect(error(await gql(h.baseUrl, t.token, PAYLOAD, { input: { serialNumber: '123', payload: 'a' } }))).toMatchObject({ code: 'NOT_FOUND', field: 'input.serialNumber' });
    const other = await createTestOrg(h.deps);
    expect(error(await gql(h.baseUrl, await tokenFor(h.deps, other.org.id), PAYLOAD, { input: { serialNumber: t.serialNumber, payload: 'a' } }))).toMatchObject({ code: 'NOT_FOUND' });

    const audit = await h.deps.db('audit_events').where({ organisation_id: t.org.id, action: 'updatePassPayload' });
    expect(audit.map((a) => [a.actor, a.subject])).toEqual([['editor@example.test', t.serialNumber], ['editor@example.test', t.serialNumber]]);
  });

  it('an expired pass cannot be updated: a clear CONFLICT naming when it expired', async () => {
    const t = await setup();
    const at = new Date('2026-01-02T03:04:05Z');
    await expirePassesNow(h.deps.db, [(await t.pass()).id], at);
    for (const [doc, input] of [[PAYLOAD, { serialNumber: t.serialNumber, payload: 'new' }], [DETAILS, { serialNumber: t.serialNumber, beacons: [] }]] as const) {
      expect(error(await gql(h.baseUrl, t.token, doc, { input }))).toEqual({
        code: 'CONFLICT',
        field: 'input.serialNumber',
        message: `input.serialNumber: pass ${t.serialNumber} expired at 2026-01-02T03:04:05.000Z; only active passes can be updated`,
      });
    }
    expect(await t.pass()).toMatchObject({ payload: 'old', beacons: ['Front door'] });

    // Past its expiry time but not yet flipped by the expiry timer: expired all the same.
    const due = await setup();
    await h.deps.db('passes').where({ serial_number: due.serialNumber }).update({ expired_timestamp: new Date(Date.now() - 1000) });
    expect(error(await gql(h.baseUrl, due.token, PAYLOAD, { input: { serialNumber: due.serialNumber, payload: 'new' } }))).toMatchObject({ code: 'CONFLICT', field: 'input.serialNumber' });
  });

  it('updatePassUserDetails: omitted = unchanged, a full map replaces, an empty map or list clears', async () => {
    const t = await setup();
    const full = await gql(h.baseUrl, t.token, DETAILS, { input: { serialNumber: t.serialNumber, dynamicFieldData: { membership_number: '2', membership_name: 'Bob' } } });
    expect(full.body.data.updatePassUserDetails.message).toBe(`Pass ${t.serialNumber} updated: dynamicFieldData`);
    expect(await t.pass()).toMatchObject({ dynamic_field_data: { membership_number: '2', membership_name: 'Bob' }, beacons: ['Front door'], locations: ['Lobby'] });

    const lists = await gql(h.baseUrl, t.token, DETAILS, { input: { serialNumber: t.serialNumber, beacons: ['Back door', 'Front door'], locations: null } });
    expect(lists.body.data.updatePassUserDetails.message).toBe(`Pass ${t.serialNumber} updated: beacons`);
    expect(await t.pass()).toMatchObject({ dynamic_field_data: { membership_name: 'Bob' }, beacons: ['Back door', 'Front door'], locations: ['Lobby'] });

    await gql(h.baseUrl, t.token, DETAILS, { input: { serialNumber: t.serialNumber, dynamicFieldData: {}, beacons: [], locations: [] } });
    expect(await t.pass()).toMatchObject({ dynamic_field_data: {}, beacons: [], locations: [] });
    const audit = await h.deps.db('audit_events').where({ organisation_id: t.org.id, action: 'updatePassUserDetails' }).orderBy('id');
    expect(audit.map((a) => a.details.updated)).toEqual(['dynamicFieldData', 'beacons', 'dynamicFieldData,beacons,locations']);
  });

  it('updatePassUserDetails refuses partial maps, unknown keys, unknown beacons or locations, too many, and an empty request — changing nothing', async () => {
    const t = await setup();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ dynamicFieldData: { membership_number: '3' } }, 'input.dynamicFieldData', /missing required field\(s\) membership_name; give every custom field of "Gym Membership", or an empty map/],
      [{ dynamicFieldData: { membership_number: '3', membership_name: 'C', tier: 'gold' } }, 'input.dynamicFieldData', /unknown field\(s\) tier/],
      [{ dynamicFieldData: { membership_number: 3, membership_name: 'C' } }, 'input.dynamicFieldData.membership_number', /must be a string/],
      [{ beacons: ['Front door', 'Side door', 'Roof'] }, 'input.beacons', /unknown beacon title\(s\) "Side door", "Roof"; create them first/],
      [{ locations: ['Nowhere'] }, 'input.locations', /unknown location title\(s\) "Nowhere"/],
      [{ beacons: Array.from({ length: 11 }, (_, i) => `b${i}`) }, 'input.beacons', /at most 10 beacons per pass/],
      [{}, 'input', /nothing to update/],
    ];
    for (const [extra, field, message] of cases) {
      const e = error(await gql(h.baseUrl, t.token, DETAILS, { input: { serialNumber: t.serialNumber, ...extra } }));
      expect([e?.code, e?.field]).toEqual(['BAD_USER_INPUT', field]);
      expect(e?.message).toMatch(message);
    }
    // One bad part fails the whole update.
    await gql(h.baseUrl, t.token, DETAILS, { input: { serialNumber: t.serialNumber, dynamicFieldData: { membership_number: '9', membership_name: 'Z' }, locations: ['Nowhere'] } });
    expect(await t.pass()).toMatchObject({ dynamic_field_data: { membership_number: '1', membership_name: 'Ann' }, beacons: ['Front door'], locations: ['Lobby'] });
  });
});
