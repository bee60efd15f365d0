import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkCallbackUrl, isBlockedAddress } from '../../src/services/callbacks/addressGuard';
import { BlockedAddressError, postJson } from '../../src/services/callbacks/httpPost';

/**
 * Security finding 1: the SSRF guard compared text, so IPv6 spellings of inward IPv4 addresses
 * (mapped, compatible, 6to4, Teredo) passed. Now every address is checked as bytes.
 */
describe('SSRF guard: IPv6 forms of inward IPv4 addresses (finding 1)', () => {
  const inward = [
    '::ffff:7f00:1', // ::ffff:127.0.0.1 as the URL parser writes it
    '::ffff:a9fe:a9fe', // 169.254.169.254, cloud metadata
    '0:0:0:0:0:ffff:127.0.0.1',
    '::ffff:0:7f00:1', // RFC 6145 translated
    '::127.0.0.1', // IPv4-compatible
    '::7f00:1',
    '::a00:1', // ::10.0.0.1
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    '2002:a9fe:a9fe::1', // 6to4 of the metadata address
    '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1 (obfuscated)
    '2001:0:a00:1::1', // Teredo, server 10.0.0.1
    '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
    '64:ff9b:1::1', // local-use NAT64
    'fec0::1', // deprecated site-local
    '::',
    '255.255.255.255',
    '192.88.99.1',
  ];
  it.each(inward)('blocks %s', (ip) => expect(isBlockedAddress(ip)).toBe(true));

  it.each(['2002:808:808::1', '::ffff:808:808', '2001:4860:4860::8888'])('still allows the public %s', (ip) => expect(isBlockedAddress(ip)).toBe(false));

  it.each([
    'http://[::ffff:127.0.0.1]:8080/',
    'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
    'http://[0:0:0:0:0:ffff:127.0.0.1]/',
    'http://[::127.0.0.1]/',
    'http://[2002:7f00:1::]/',
    'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://0177.0.0.1/',
  ])('checkCallbackUrl refuses %s', (url) => expect(() => checkCallbackUrl(url, false)).toThrow(BlockedAddressError));

  it('postJson never reaches a loopback server through http://[::ffff:127.0.0.1]:PORT/', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('reached');
    });
    await new Promise<void>((resolve) => server.listen(0, '::', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      // The same server is reachable when private addresses are allowed: the address itself works.
      await expect(postJson(`http://[::ffff:127.0.0.1]:${port}/`, '{}', { headers: {}, timeoutMs: 2000, allowPrivate: true })).resolves.toMatchObject({ status: 200 });
      expect(hits).toBe(1);
      await expect(postJson(`http://[::ffff:127.0.0.1]:${port}/`, '{}', { headers: {}, timeoutMs: 2000, allowPrivate: false })).rejects.toThrow(BlockedAddressError);
      await expect(postJson(`http://[::ffff:7f00:1]:${port}/`, '{}', { headers: {}, timeoutMs: 2000, allowPrivate: false })).rejects.toThrow(BlockedAddressError);
      expect(hits).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
