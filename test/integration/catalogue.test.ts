import { createTestOrg, gql, Harness, startHarness, tokenFor } from '../helpers/harness';

/** Beacons, locations and pass delivery templates over /query, as seed 003 defines them. */
describe('catalogue: beacons, locations, pass delivery templates', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(() => h.close());

  const newToken = async () => {
    const { org } = await createTestOrg(h.deps);
    return { org, token: await tokenFor(h.deps, org.id, ['Owner'], 'beacons@example.test') };
  };
  const msg = (res: { body: { data?: any; errors?: any[] } }, field: string) => {
    expect(res.body.errors).toBeUndefined();
    return res.body.data[field].message as string;
  };

  const CREATE_BEACON = `mutation($input: BeaconRequest) { createNewBeacon(input: $input) { message } }`;
  const UPDATE_BEACON = `mutation($input: BeaconRequest) { updateBeacon(input: $input) { message } }`;
  const BEACONS = `query($input: GetPaginatedBeaconRequest) { getPaginatedBeacons(input: $input) {
    beacons { title proximityUUID major minor messageText created creator lastModified modifier } lastModifiedDate lastDocID } }`;
  const beacon = (title: string, more: Record<string, unknown> = {}) => ({
    title, proximityUUID: 'aba71543-a2c5-4fb1-afcf-a3ab01234567', major: 27201, minor: 43985, messageText: 'Welcome to our facility.', ...more,
  });

  it('creates, verifies, updates and pages beacons newest-modified first, with an audit trail', async () => {
    const { org, token } = await newToken();
    for (const t of ['Gate A', 'Gate B', 'Gate C']) expect(msg(await gql(h.baseUrl, token, CREATE_BEACON, { input: beacon(t) }), 'createNewBeacon')).toBe(`Beacon "${t}" created`);
    const verify = (title: string) => gql(h.baseUrl, token, `query($i: VerifyBeaconExistsRequest) { verifyBeaconExists(input: $i) { message } }`, { i: { title } });
    expect(msg(await verify('Gate A'), 'verifyBeaconExists')).toBe('Beacon title "Gate A" already exists');
    expect(msg(await verify('Gate Z'), 'verifyBeaconExists')).toBe('Beacon title "Gate Z" is available');

    expect(msg(await gql(h.baseUrl, token, UPDATE_BEACON, { input: beacon('Gate A', { major: null, messageText: 'Moved' }) }), 'updateBeacon')).toBe('Beacon "Gate A" updated');

    const first = await gql(h.baseUrl, token, BEACONS, { input: { batchSize: 2 } });
    expect(first.body.errors).toBeUndefined();
    const p1 = first.body.data.getPaginatedBeacons;
    expect(p1.beacons.map((b: { title: string }) => b.title)).toEqual(['Gate A', 'Gate C']);
    expect(p1.beacons[0]).toMatchObject({
      proximityUUID: 'ABA71543-A2C5-4FB1-AFCF-A3AB01234567', major: null, minor: 43985, messageText: 'Moved',
      creator: 'beacons@example.test', modifier: 'beacons@example.test',
    });
    const second = await gql(h.baseUrl, token, BEACONS, { input: { batchSize: 2, lastModifiedDate: p1.lastModifiedDate, lastDocID: p1.lastDocID } });
    expect(second.body.data.getPaginatedBeacons.beacons.map((b: { title: string }) => b.title)).toEqual(['Gate B']);
    const third = await gql(h.baseUrl, token, BEACONS, {
      input: { batchSize: 2, lastModifiedDate: second.body.data.getPaginatedBeacons.lastModifiedDate, lastDocID: second.body.data.getPaginatedBeacons.lastDocID },
    });
    expect(third.body.data.getPaginatedBeacons).toEqual({ beacons: [], lastModifiedDate: null, lastDocID: null });

    const audit = await h.deps.db('audit_events').where({ organisation_id: org.id, category: 'Beacons' }).orderBy('id');
    expect(audit.map((a) => a.action)).toEqual(['create beacon', 'create beacon', 'create beacon', 'update beacon']);
  });

  it('refuses bad beacons naming the field and rule, duplicates as CONFLICT and unknown updates as NOT_FOUND', async () => {
    const { token } = await newToken();
    const bad = async (input: unknown) => (await gql(h.baseUrl, token, CREATE_BEACON, { input })).body.errors?.[0];
    expect(await bad(beacon('X', { proximityUUID: '1234' }))).toMatchObject({
      message: 'input.proximityUUID: must be a UUID such as ABA71543-A2C5-4FB1-AFCF-A3AB01234567',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.proximityUUID' },
    });
    expect(await bad(beacon('X', { major: 65536 }))).toMatchObject({ message: 'input.major: must be within 0..65535' });
    expect(await bad(beacon('X', { minor: -1 }))).toMatchObject({ message: 'input.minor: must be within 0..65535' });
    expect(await bad(beacon(''))).toMatchObject({ message: 'input.title: must not be empty' });
    expect(await bad(beacon('Dup'))).toBeUndefined();
    expect(await bad(beacon('Dup'))).toMatchObject({ message: 'input.title: a beacon titled "Dup" already exists', extensions: { code: 'CONFLICT' } });
    const upd = await gql(h.baseUrl, token, UPDATE_BEACON, { input: beacon('Nope') });
    expect(upd.body.errors?.[0]).toMatchObject({ message: 'input.title: no beacon titled "Nope"', extensions: { code: 'NOT_FOUND' } });
    const page = await gql(h.baseUrl, token, BEACONS, { input: { batchSize: 101 } });
    expect(page.body.errors?.[0].message).toBe('input.batchSize: must be at most 100');
    const cursor = await gql(h.baseUrl, token, BEACONS, { input: { batchSize: 1, lastDocID: 'garbage' } });
    expect(cursor.body.errors?.[0].message).toBe('input.lastDocID: must be a lastDocID returned by a previous page');
  });

  it('keeps organisations apart: same titles allowed, nothing visible across', async () => {
    const a = await newToken();
    const b = await newToken();
    expect(msg(await gql(h.baseUrl, a.token, CREATE_BEACON, { input: beacon('Shared') }), 'createNewBeacon')).toMatch(/created/);
    expect(msg(await gql(h.baseUrl, b.token, CREATE_BEACON, { input: beacon('Shared') }), 'createNewBeacon')).toMatch(/created/);
    const upd = await gql(h.baseUrl, b.token, UPDATE_BEACON, { input: beacon('Shared', { minor: 7 }) });
    expect(upd.body.errors).toBeUndefined();
    const pageA = await gql(h.baseUrl, a.token, BEACONS, { input: { batchSize: 10 } });
    expect(pageA.body.data.getPaginatedBeacons.beacons).toEqual([expect.objectContaining({ title: 'Shared', minor: 43985 })]);
  });

  it('creates, updates, verifies and pages locations; refuses coordinates out of range', async () => {
    const { token } = await newToken();
    const CREATE = `mutation($input: CreateUpdateLocationRequest) { createNewLocation(input: $input) { message } }`;
    const loc = { title: 'Dundee office', latitude: 56.484146760301854, longitude: -3.018581082165732, altitude: 10, messageText: 'Welcome!' };
    expect(msg(await gql(h.baseUrl, token, CREATE, { input: loc }), 'createNewLocation')).toBe('Location "Dundee office" created');
    expect(msg(await gql(h.baseUrl, token, CREATE, { input: { ...loc, title: 'Pole', latitude: 90, longitude: -180, altitude: null } }), 'createNewLocation')).toMatch(/created/);
    const bad = await gql(h.baseUrl, token, CREATE, { input: { ...loc, title: 'Bad', latitude: 91 } });
    expect(bad.body.errors?.[0]).toMatchObject({ message: 'input.latitude: must be within -90..90', extensions: { code: 'BAD_USER_INPUT', field: 'input.latitude' } });
    const bad2 = await gql(h.baseUrl, token, CREATE, { input: { ...loc, title: 'Bad', longitude: 180.01 } });
    expect(bad2.body.errors?.[0].message).toBe('input.longitude: must be within -180..180');
    expect((await gql(h.baseUrl, token, CREATE, { input: loc })).body.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });

    const upd = await gql(h.baseUrl, token, `mutation($input: CreateUpdateLocationRequest) { updateLocation(input: $input) { message } }`, {
      input: { ...loc, latitude: 56.5, messageText: 'Moved' },
    });
    expect(msg(upd, 'updateLocation')).toBe('Location "Dundee office" updated');
    const verify = await gql(h.baseUrl, token, `query($i: VerifyLocationExistsRequest) { verifyLocationExists(input: $i) { message } }`, { i: { title: 'Pole' } });
    expect(msg(verify, 'verifyLocationExists')).toBe('Location title "Pole" already exists');

    const page = await gql(h.baseUrl, token, `query($input: GetPaginatedLocationRequest) { getPaginatedLocations(input: $input) {
      locations { title altitude latitude longitude messageText created creator lastModified modifier } lastModifiedDate lastDocID } }`, { input: { batchSize: 10 } });
    expect(page.body.data.getPaginatedLocations.locations).toEqual([
      expect.objectContaining({ title: 'Dundee office', latitude: 56.5, longitude: -3.018581082165732, altitude: 10, messageText: 'Moved' }),
      expect.objectContaining({ title: 'Pole', latitude: 90, longitude: -180, altitude: null }),
    ]);
  });

  it('creates, updates, verifies and pages delivery templates by creation time, filtered by type', async () => {
    const { token } = await newToken();
    const CREATE = `mutation($input: PassDeliveryTemplateRequest) { createNewPassDeliveryTemplate(input: $input) { message } }`;
    const tpl = (title: string, type: string) => ({
      title, type, subject: type === 'Email' ? 'Your pass' : '', preheader: 'Pass inside', body: 'Hello,<br/><br/>here is your pass.', footer: 'Thanks', imageURL: 'https://cdn.example/logo.png',
    });
    for (const [t, type] of [['welcome-email', 'Email'], ['welcome-sms', 'SMS'], ['reminder-email', 'Email']]) {
      expect(msg(await gql(h.baseUrl, token, CREATE, { input: tpl(t, type) }), 'createNewPassDeliveryTemplate')).toBe(`Pass delivery template "${t}" created`);
    }
    const bad = await gql(h.baseUrl, token, CREATE, { input: tpl('x', 'Fax') });
    expect(bad.body.errors?.[0]).toMatchObject({ message: 'input.type: must be one of Email, SMS, iMessage, WhatsApp', extensions: { field: 'input.type' } });
    const noSubject = await gql(h.baseUrl, token, CREATE, { input: { ...tpl('y', 'Email'), subject: '' } });
    expect(noSubject.body.errors?.[0].message).toBe('input.subject: must not be empty for an Email template');

    const upd = await gql(h.baseUrl, token, `mutation($input: PassDeliveryTemplateRequest) { updatePassDeliveryTemplate(input: $input) { message } }`, {
      input: { ...tpl('welcome-email', 'Email'), subject: 'Your new pass' },
    });
    expect(msg(upd, 'updatePassDeliveryTemplate')).toBe('Pass delivery template "welcome-email" updated');
    const verify = await gql(h.baseUrl, token, `query($i: VerifyTemplateTitleRequest) { verifyDeliveryTemplateAvailable(input: $i) { message } }`, { i: { deliveryTitle: 'welcome-sms' } });
    expect(msg(verify, 'verifyDeliveryTemplateAvailable')).toBe('Pass delivery template title "welcome-sms" already exists');

    const PAGE = `query($input: GetPaginatedPassDeliveryTemplateRequest) { getPaginatedPassDeliveryTemplates(input: $input) {
      passDeliveryTemplates { title type subject body footer imageURL preheader created creator lastModified modifier } lastCreatedTimestamp lastDocID } }`;
    const emails = await gql(h.baseUrl, token, PAGE, { input: { passTemplateType: 'Email', batchCount: 1 } });
    const e1 = emails.body.data.getPaginatedPassDeliveryTemplates;
    expect(e1.passDeliveryTemplates.map((t: { title: string }) => t.title)).toEqual(['reminder-email']);
    const e2 = await gql(h.baseUrl, token, PAGE, { input: { passTemplateType: 'Email', batchCount: 5, lastCreatedDate: e1.lastCreatedTimestamp, lastDocID: e1.lastDocID } });
    // Ordered by creation, so the updated template keeps its place.
    expect(e2.body.data.getPaginatedPassDeliveryTemplates.passDeliveryTemplates).toEqual([expect.objectContaining({ title: 'welcome-email', subject: 'Your new pass' })]);
    const all = await gql(h.baseUrl, token, PAGE, { input: { passTemplateType: 'All' } });
    expect(all.body.data.getPaginatedPassDeliveryTemplates.passDeliveryTemplates).toHaveLength(3);
    const badFilter = await gql(h.baseUrl, token, PAGE, { input: { passTemplateType: 'Fax' } });
    expect(badFilter.body.errors?.[0].message).toBe('input.passTemplateType: must be All or one of Email, SMS, iMessage, WhatsApp');
  });
});
