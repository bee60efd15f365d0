import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions } from '../../src/logger';

/**
 * Security finding 9 (logs): secrets and end users' personal data never reach a log line, whatever
 * object a caller logs: pino redacts them by key, at the top level and one or two levels down
 * (request headers, bodies, errors' details).
 */
describe('log redaction (finding 9)', () => {
  const capture = () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    return { log: pino({ ...loggerOptions, level: 'trace' }, stream), lines };
  };

  it.each([
    ['authorization header', { req: { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.secret.sig' } } }, 'eyJhbGciOiJIUzI1NiJ9'],
    ['access token', { access_token: 'tok-123456789' }, 'tok-123456789'],
    ['client secret', { client_secret: 'cs-abcdef123456' }, 'cs-abcdef123456'],
    ['client secret (camel)', { body: { clientSecret: 'cs-abcdef123456' } }, 'cs-abcdef123456'],
    ['one-time code', { oneTimeCode: '493817' }, '493817'],
    ['otp in a body', { body: { otp: '493817' } }, '493817'],
    ['claim token', { claimToken: 'ct-0987654321' }, 'ct-0987654321'],
    ['password', { password: 'hunter2hunter2' }, 'hunter2hunter2'],
    ['recipient', { recipient: 'ada@example.test' }, 'ada@example.test'],
    ['email of an end user', { identity: { email: 'ada@example.test' } }, 'ada@example.test'],
    ['phone', { contact: { phone: '+447700900123' } }, '+447700900123'],
    ['SMS To', { form: { To: '+447700900123' } }, '+447700900123'],
    ['dynamic fields', { dynamicFields: { membership_name: 'Ada Lovelace' } }, 'Ada Lovelace'],
    ['pass details', { passDetails: [{ dynamicFields: { name: 'Ada Lovelace' } }] }, 'Ada Lovelace'],
    ['identity name', { identity: { name: 'Ada Lovelace' } }, 'Ada Lovelace'],
    ['pass link details', { query: { details: 'eyJlbmMiOiJBMjU2R0NNIn0.pass' } }, 'eyJlbmMiOiJBMjU2R0NNIn0'],
  ])('%s is redacted', (_what, obj, secret) => {
    const { log, lines } = capture();
    log.info(obj, 'something happened');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('[redacted]');
  });

  it('keeps what operators need: IDs, statuses, the organisation user', () => {
    const { log, lines } = capture();
    log.info({ requestId: 'r-1', organisationId: 'acme', clientId: 'cli_1', status: 401, user: 'ops@acme.test', code: 'err.request.bad', err: { code: '23505' } }, 'request');
    expect(JSON.parse(lines[0])).toMatchObject({ requestId: 'r-1', organisationId: 'acme', clientId: 'cli_1', status: 401, user: 'ops@acme.test', code: 'err.request.bad', err: { code: '23505' } });
  });
});
