import { z } from 'zod';
import { ConfigError, loadConfig } from '../../src/config';
import { fieldOf, formatIssues } from '../../src/domain/issues';
import { DciRejection } from '../../src/services/dci/inbox';
import { DomainError, invalid } from '../../src/services/errors';

/** The one error path: one formatter for zod issues, one error type with code, field and status. */
describe('error path', () => {
  const rows = z.object({ rows: z.array(z.object({ email: z.string().email('must be an email address') })) });
  const error = rows.safeParse({ rows: [{ email: 'a@b.test' }, { email: 'nope' }] }).error!;

  it('names a field dotted, or in the DCI standard JSON-path style', () => {
    expect(fieldOf(['rows', 1, 'email'], 'input')).toBe('input.rows.1.email');
    expect(fieldOf(['rows', 1, 'email'], 'message', 'brackets')).toBe('message.rows[1].email');
    expect(fieldOf([], 'input')).toBe('input');
    expect(fieldOf([])).toBe('');
  });

  it('formats every issue as field: rule, the rule alone where there is no field', () => {
    expect(formatIssues(error.issues)).toBe('rows.1.email: must be an email address');
    expect(formatIssues([{ path: [], message: 'set only one' }, { path: ['a'], message: 'is required' }], (p) => (p.length ? `--${String(p[0])}` : ''), '\n')).toBe('set only one\n--a: is required');
  });

  it('turns a zod failure into one BAD_USER_INPUT naming every field, with its HTTP status', () => {
    const e = invalid(error, 'input');
    expect(e).toBeInstanceOf(DomainError);
    expect({ code: e.code, status: e.status, message: e.message, ...e.details }).toEqual({
      code: 'BAD_USER_INPUT',
      status: 400,
      message: 'input.rows.1.email: must be an email address',
      field: 'input.rows.1.email',
      issues: [{ field: 'input.rows.1.email', message: 'must be an email address' }],
    });
    expect(new DomainError('NOT_FOUND', 'no such pass', 'serialNumber')).toMatchObject({ status: 404, message: 'serialNumber: no such pass', details: { field: 'serialNumber' } });
  });

  it('a DCI rejection is a DomainError carrying its err.* code and status', () => {
    const e = new DciRejection('err.signature.invalid', 'signature does not verify', 401);
    expect(e).toBeInstanceOf(DomainError);
    expect({ code: e.code, status: e.status, dciCode: e.dciCode }).toEqual({ code: 'UNAUTHENTICATED', status: 401, dciCode: 'err.signature.invalid' });
  });

  it('configuration errors name the variable of a nested value, and every bad one at once', () => {
    const bad = () => loadConfig({ TEMPORAL_UI_PORT: '99999', DCI_FR_ID: '', CODEC_AUTH_TOKEN: 'short' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/^Invalid configuration:\n  TEMPORAL_UI_PORT: .*\n  DCI_FR_ID: .*\n  CODEC_AUTH_TOKEN: must be at least 16 characters$/);
    expect(loadConfig({ TEMPORAL_UI_PORT: '9233', DCI_FR_ID: 'fr.x' })).toMatchObject({ temporal: { uiPort: 9233 }, dci: { registryIds: { fr: 'fr.x' } } });
  });
});
