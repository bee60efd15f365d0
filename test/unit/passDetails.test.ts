import { validatePassDetails } from '../../src/domain/passDetails';

const keys = ['membership_number', 'membership_name'];
const now = new Date('2026-01-01T00:00:00Z');
const good = { externalReferenceID: 'ext-1', dynamicFields: { membership_number: '1', membership_name: 'Ann' } };

describe('validatePassDetails', () => {
  it('normalises a minimal row', () => {
    const r = validatePassDetails(good, keys, now);
    expect(r).toEqual({
      ok: true,
      value: expect.objectContaining({ deliveryMethod: 'None', payload: null, beacons: [], locations: [], expiredTimestamp: null }),
    });
  });

  it.each([
    [{ ...good, dynamicFields: { membership_number: '1' } }, /dynamicFields: missing required field\(s\) membership_name/],
    [{ ...good, dynamicFields: { ...good.dynamicFields, extra: 'x' } }, /dynamicFields: unknown field\(s\) extra/],
    [{ ...good, dynamicFields: { membership_number: 1, membership_name: 'A' } }, /dynamicFields.membership_number: must be a string/],
    [{ dynamicFields: good.dynamicFields }, /externalReferenceID: is required/],
    [{ ...good, payload: 'x'.repeat(65) }, /payload: must be at most 64 bytes/],
    [{ ...good, payload: 'café' }, /payload: must contain only printable ASCII/],
    [{ ...good, deliveryMethod: 'Pigeon' }, /deliveryMethod: must be one of None, Email, SMS/],
    [{ ...good, deliveryMethod: 'Email', deliveryAddress: 'nope' }, /deliveryAddress: must be an email address/],
    [{ ...good, deliveryMethod: 'SMS', deliveryAddress: '0770' }, /deliveryAddress: must be a phone number/],
    [{ ...good, beacons: Array(11).fill('b') }, /beacons: at most 10 beacons/],
    [{ ...good, locations: Array(11).fill('l') }, /locations: at most 10 locations/],
    [{ ...good, expiredTimestamp: new Date('2025-12-31T00:00:00Z') }, /expiredTimestamp: must be in the future/],
    [{ ...good, expiredTimestamp: new Date('2027-06-01T00:00:00Z') }, /expiredTimestamp: cannot be more than a year/],
  ])('rejects %j', (row, reason) => {
    const r = validatePassDetails(row, keys, now);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(reason);
  });
});
