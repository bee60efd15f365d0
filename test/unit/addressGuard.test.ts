import { checkCallbackUrl, guardedLookup, isBlockedAddress } from '../../src/services/callbacks/addressGuard';

describe('callback address guard', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1'])(
    'blocks %s',
    (ip) => expect(isBlockedAddress(ip)).toBe(true),
  );
  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '2606:4700::1111'])('allows %s', (ip) => expect(isBlockedAddress(ip)).toBe(false));

  it('refuses private literals, localhost and non-http schemes unless allowed', () => {
    expect(() => checkCallbackUrl('http://127.0.0.1/cb', false)).toThrow(/loopback, private/);
    expect(() => checkCallbackUrl('http://169.254.169.254/', false)).toThrow(/loopback, private, link-local/);
    expect(() => checkCallbackUrl('http://[::1]:8080/', false)).toThrow(/private/);
    expect(() => checkCallbackUrl('http://localhost:9/', false)).toThrow(/loopback host/);
    expect(() => checkCallbackUrl('ftp://example.com/', false)).toThrow(/use http or https/);
    expect(checkCallbackUrl('http://127.0.0.1/cb', true).hostname).toBe('127.0.0.1');
    expect(checkCallbackUrl('https://example.com/cb', false).hostname).toBe('example.com');
  });
});

describe('guardedLookup (the connect-time check)', () => {
  const lookup = (host: string, allowPrivate: boolean) =>
    new Promise<string>((resolve, reject) =>
      guardedLookup(allowPrivate)(host, { all: false }, (err, address) => (err ? reject(err) : resolve(address as string))),
    );

  it('refuses a name that resolves to a loopback address', async () => {
    await expect(lookup('localhost', false)).rejects.toThrow(/localhost resolves to (127\.0\.0\.1|::1), a private or reserved address/);
  });

  it('lets it through when private addresses are allowed', async () => {
    await expect(lookup('localhost', true)).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
