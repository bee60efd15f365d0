import { invalidationLimit, invalidationRefusal } from '../../src/domain/invalidation';

const d = (s: string) => new Date(s);

describe('invalidationLimit', () => {
  it('is the next anniversary after now plus one year', () => {
    expect(invalidationLimit(d('2025-03-10T12:00:00Z'), d('2025-06-01T00:00:00Z')).toISOString()).toBe('2027-03-10T12:00:00.000Z');
    expect(invalidationLimit(d('2023-03-10T12:00:00Z'), d('2025-06-01T00:00:00Z')).toISOString()).toBe('2027-03-10T12:00:00.000Z');
    expect(invalidationLimit(d('2025-03-10T12:00:00Z'), d('2026-03-10T12:00:00Z')).toISOString()).toBe('2028-03-10T12:00:00.000Z');
  });
  it('handles 29 February', () => {
    expect(invalidationLimit(d('2024-02-29T00:00:00Z'), d('2024-06-01T00:00:00Z')).toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });
});

describe('invalidationRefusal', () => {
  const now = d('2026-01-01T00:00:00Z');
  const pass = { organisation_id: 'acme', is_expired: false, expired_timestamp: null, created_at: d('2025-12-01T00:00:00Z') };
  it('accepts a pass within its limit', () => expect(invalidationRefusal(pass, 'acme', d('2027-06-01T00:00:00Z'), now)).toBeNull());
  it('refuses unknown and foreign passes alike', () => {
    expect(invalidationRefusal(undefined, 'acme', now, now)).toMatch(/no pass with this serial number in your organisation/);
    expect(invalidationRefusal(pass, 'other', now, now)).toMatch(/no pass with this serial number in your organisation/);
  });
  it('refuses an expired pass', () => {
    expect(invalidationRefusal({ ...pass, is_expired: true, expired_timestamp: now }, 'acme', now, now)).toMatch(/already expired/);
  });
  it('refuses an expiry beyond the anniversary + 1 year', () => {
    expect(invalidationRefusal(pass, 'acme', d('2027-12-01T00:00:01Z'), now)).toMatch(/after this pass's limit 2027-12-01T00:00:00.000Z/);
  });
});
