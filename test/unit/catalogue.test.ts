import { beaconRequestSchema, locationRequestSchema, templateRequestSchema, templateTypeFilterSchema } from '../../src/domain/catalogue';
import { linkStatus } from '../../src/services/passDownload';

const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('beacon rules', () => {
  const good = { title: 'Front door', proximityUUID: 'aba71543-a2c5-4fb1-afcf-a3ab01234567', major: 27201, minor: 0, messageText: 'Welcome' };
  it('accepts a beacon and upper-cases its UUID; major/minor are optional', () => {
    expect(beaconRequestSchema.parse(good)).toEqual({ ...good, proximityUUID: 'ABA71543-A2C5-4FB1-AFCF-A3AB01234567' });
    expect(beaconRequestSchema.parse({ ...good, major: undefined, minor: null })).toMatchObject({ major: null, minor: null });
  });
  it.each([
    [{ proximityUUID: 'not-a-uuid' }, 'proximityUUID: must be a UUID such as ABA71543-A2C5-4FB1-AFCF-A3AB01234567'],
    [{ major: 65536 }, 'major: must be within 0..65535'],
    [{ minor: -1 }, 'minor: must be within 0..65535'],
    [{ major: 1.5 }, 'major: major must be a whole number'],
    [{ title: '  ' }, 'title: must not be empty'],
    [{ messageText: '' }, 'messageText: must not be empty'],
  ])('rejects %j', (change, message) => {
    expect(issues(beaconRequestSchema.safeParse({ ...good, ...change }))).toEqual([message]);
  });
});

describe('location rules', () => {
  const good = { title: 'Dundee', latitude: 56.48, longitude: -3.01, messageText: 'Hi' };
  it('accepts the inclusive bounds', () => {
    expect(locationRequestSchema.safeParse({ ...good, latitude: -90, longitude: 180 }).success).toBe(true);
    expect(locationRequestSchema.parse(good).altitude).toBeNull();
  });
  it.each([
    [{ latitude: 90.0001 }, 'latitude: must be within -90..90'],
    [{ longitude: -180.5 }, 'longitude: must be within -180..180'],
  ])('rejects %j', (change, message) => {
    expect(issues(locationRequestSchema.safeParse({ ...good, ...change }))).toEqual([message]);
  });
});

describe('delivery template rules', () => {
  const good = { title: 't', type: 'Email', subject: 'Your pass', preheader: '', body: 'Hello', footer: '', imageURL: 'https://img.example/x.png' };
  it('accepts email and SMS templates (SMS without subject or image)', () => {
    expect(templateRequestSchema.safeParse(good).success).toBe(true);
    expect(templateRequestSchema.safeParse({ ...good, type: 'SMS', subject: '', imageURL: '' }).success).toBe(true);
  });
  it.each([
    [{ type: 'Fax' }, 'type: must be one of Email, SMS, iMessage, WhatsApp'],
    [{ subject: ' ' }, 'subject: must not be empty for an Email template'],
    [{ imageURL: 'ftp://x/y.png' }, 'imageURL: must be an absolute http(s) URL, or empty when the template has no image'],
    [{ body: '' }, 'body: must not be empty'],
  ])('rejects %j', (change, message) => {
    expect(issues(templateRequestSchema.safeParse({ ...good, ...change }))).toEqual([message]);
  });
  it('reads the type filter: All or nothing means every type', () => {
    expect(templateTypeFilterSchema.parse('All')).toBeNull();
    expect(templateTypeFilterSchema.parse(undefined)).toBeNull();
    expect(templateTypeFilterSchema.parse('SMS')).toBe('SMS');
    expect(templateTypeFilterSchema.safeParse('Pigeon').success).toBe(false);
  });
});

describe('pass link status', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const base = { is_expired: false, link_start_time: null, link_end_time: null };
  it.each([
    [base, 'Available'],
    [{ ...base, is_expired: true }, 'Invalidated'],
    [{ ...base, link_start_time: new Date('2026-06-02T00:00:00Z') }, 'NotYetAvailable'],
    [{ ...base, link_end_time: new Date('2026-06-01T12:00:00Z') }, 'LinkExpired'],
  ])('%j is %s', (p, status) => {
    expect(linkStatus(p as never, now)).toBe(status);
  });
});
