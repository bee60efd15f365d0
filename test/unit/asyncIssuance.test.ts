import crypto from 'node:crypto';
import os from 'node:os';
import { loadConfig } from '../../src/config';
import { expiresOn, fillDynamicFields, invitationMessage, isStatusFinal, maskEmail, maskPhone, verificationMessage } from '../../src/domain/asyncIssuance';
import { ClaimSecrets } from '../../src/jobs/asyncIssuance/claimSecrets';

describe('async issuance rules', () => {
  it('counts the expiry period from receipt', () => {
    const at = new Date('2026-03-01T10:00:00Z');
    expect(expiresOn(at, 'ONE_DAY').toISOString()).toBe('2026-03-02T10:00:00.000Z');
    expect(expiresOn(at, 'THREE_DAYS').toISOString()).toBe('2026-03-04T10:00:00.000Z');
    expect(expiresOn(at, 'SEVEN_DAYS').toISOString()).toBe('2026-03-08T10:00:00.000Z');
    expect(expiresOn(at, 'THIRTY_DAYS').toISOString()).toBe('2026-03-31T10:00:00.000Z');
  });

  it('treats every status but PENDING as final', () => {
    expect(isStatusFinal('PENDING')).toBe(false);
    for (const s of ['COMPLETED', 'CANCELLED', 'EXPIRED', 'FAILED'] as const) expect(isStatusFinal(s)).toBe(true);
  });

  it('fills design fields from the identity by name, never over given values', () => {
    const keys = ['member_name', 'Email_Address', 'mobile', 'membership_number'];
    const identity = { name: 'Ada', email: 'ada@example.test', phone: '+447700900123' };
    expect(fillDynamicFields(keys, { membership_number: '7' }, identity)).toEqual({
      member_name: 'Ada',
      Email_Address: 'ada@example.test',
      mobile: '+447700900123',
      membership_number: '7',
    });
    expect(fillDynamicFields(keys, { member_name: 'Given' }, { email: 'a@b.test' })).toEqual({ member_name: 'Given', Email_Address: 'a@b.test' });
  });

  it('masks destinations', () => {
    expect(maskEmail('ada@example.test')).toBe('a***@example.test');
    expect(maskPhone('+447700900123')).toBe('+44*******123');
  });

  it('writes invitations with the claim link and codes with their validity', () => {
    const ctx = { organisationName: 'Acme', contractName: 'Gym Membership', identityName: 'Ada', expiresOn: new Date('2026-03-08T10:00:00Z') };
    expect(invitationMessage('EMAIL', ctx, 'https://x/claim?token=t')).toEqual({
      subject: 'Acme has issued you a Gym Membership',
      body: 'Hello Ada,\n\nAcme has issued you a Gym Membership. Claim it before 2026-03-08 10:00 UTC:\nhttps://x/claim?token=t',
    });
    expect(invitationMessage('SMS', ctx, 'https://x/c').subject).toBeNull();
    expect(verificationMessage('SMS', ctx, '012345').body).toBe('Your Acme verification code is 012345. It is valid for 10 minutes.');
  });
});

describe('ClaimSecrets', () => {
  const config = loadConfig({ PASS_LINK_KEY: crypto.randomBytes(32).toString('base64'), STEWARD_DATA_DIR: os.tmpdir() });
  const secrets = new ClaimSecrets(config);
  const id = crypto.randomUUID();

  it('issues claim tokens that open to their request and refuses any other', () => {
    const token = secrets.claimToken(id);
    expect(secrets.openClaimToken(token)).toBe(id);
    expect(secrets.claimUrl(id)).toBe(`http://localhost:4000/claim?token=${encodeURIComponent(token)}`);
    const other = crypto.randomUUID();
    expect(secrets.openClaimToken(`${other}.${token.split('.')[1]}`)).toBeNull();
    expect(secrets.openClaimToken(token.slice(0, -1))).toBeNull();
    expect(secrets.openClaimToken('nonsense')).toBeNull();
    const elsewhere = new ClaimSecrets(loadConfig({ PASS_LINK_KEY: crypto.randomBytes(32).toString('base64'), STEWARD_DATA_DIR: os.tmpdir() }));
    expect(elsewhere.openClaimToken(token)).toBeNull();
  });

  it('hashes codes per request and matches only the right one', () => {
    const code = secrets.newCode();
    expect(code).toMatch(/^\d{6}$/);
    const hash = secrets.hashCode(id, code);
    expect(hash).not.toContain(code);
    expect(secrets.codeMatches(id, code, hash)).toBe(true);
    expect(secrets.codeMatches(id, code === '000000' ? '000001' : '000000', hash)).toBe(false);
    expect(secrets.codeMatches(crypto.randomUUID(), code, hash)).toBe(false);
  });
});
