import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * SSRF guard for every outgoing URL (callbacks, DCI sender URIs, and any integration that sends
 * through postJson/guardedLookup): loopback, private, link-local (cloud metadata included),
 * carrier-grade NAT, multicast and reserved addresses are refused unless explicitly allowed.
 *
 * Addresses are compared as bytes (ipaddr.js), never as text, and IPv6 forms that carry an IPv4
 * address (mapped ::ffff:a.b.c.d, RFC 6145 ::ffff:0:a.b.c.d, compatible ::a.b.c.d, NAT64
 * 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32) are judged by the IPv4 address inside them.
 */
const cidrs = (list: string[]) => list.map((c) => ipaddr.parseCIDR(c));

const BLOCKED_V4 = cidrs([
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15',
  '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
]);

const BLOCKED_V6 = cidrs([
  '::/128', '::1/128', '100::/64', '2001:2::/48', '2001:10::/28', '2001:20::/28', '2001:db8::/32',
  '64:ff9b:1::/48', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
]);

const v4 = (b: number[]) => new ipaddr.IPv4(b);

/** The IPv4 addresses an IPv6 address stands for (tunnels, translations), by prefix. */
function embeddedV4(ip: ipaddr.IPv6): ipaddr.IPv4[] {
  const b = ip.toByteArray();
  const p = ip.parts;
  const low = v4(b.slice(12, 16));
  if (p.slice(0, 5).every((x) => x === 0) && (p[5] === 0 || p[5] === 0xffff)) return [low]; // compatible, mapped
  if (p.slice(0, 4).every((x) => x === 0) && p[4] === 0xffff && p[5] === 0) return [low]; // RFC 6145
  if (p[0] === 0x64 && p[1] === 0xff9b && p.slice(2, 6).every((x) => x === 0)) return [low]; // NAT64
  if (p[0] === 0x2002) return [v4(b.slice(2, 6))]; // 6to4
  if (p[0] === 0x2001 && p[1] === 0) return [v4(b.slice(4, 8)), v4(b.slice(12, 16).map((x) => x ^ 0xff))]; // Teredo: server, client
  return [];
}

const inAny = (ip: ipaddr.IPv4 | ipaddr.IPv6, list: [ipaddr.IPv4 | ipaddr.IPv6, number][]) =>
  list.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net as never, bits));

export function isBlockedAddress(ip: string): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip.replace(/^\[|\]$/g, ''));
  } catch {
    return true; // not an address at all: refuse rather than guess
  }
  if (addr.kind() === 'ipv4') return inAny(addr, BLOCKED_V4);
  const v6 = addr as ipaddr.IPv6;
  return inAny(v6, BLOCKED_V6) || embeddedV4(v6).some((inner) => inAny(inner, BLOCKED_V4));
}

export class BlockedAddressError extends Error {}

/**
 * A dns.lookup replacement for http(s).request: checks the addresses actually connected to, so a
 * host name that resolves (or re-resolves) to a private address is refused too.
 */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const blocked = list.find((a) => isBlockedAddress(a.address));
      if (!allowPrivate && blocked) {
        return callback(new BlockedAddressError(`${hostname} resolves to ${blocked.address}, a private or reserved address`), '', 0);
      }
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/**
 * For clients that cannot take a lookup function (fetch): the URL checked as above and every address
 * its host resolves to now. The SMS provider and Google endpoints come from configuration, so this
 * guards against a misconfigured or re-pointed host, not against a per-request attacker.
 */
export async function assertPublicDestination(raw: string, allowPrivate: boolean): Promise<void> {
  const url = checkCallbackUrl(raw, allowPrivate);
  if (allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await dns.promises.lookup(host, { all: true });
  const blocked = addresses.find((a) => isBlockedAddress(a.address));
  if (blocked) throw new BlockedAddressError(`${host} resolves to ${blocked.address}, a private or reserved address`);
}

/** Checks a URL before any connection: scheme, and literal IP hosts (which skip DNS lookup). */
export function checkCallbackUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BlockedAddressError(`"${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BlockedAddressError(`${url.protocol} URLs are not allowed; use http or https`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && ipaddr.isValid(host) && isBlockedAddress(host)) {
    throw new BlockedAddressError(`${host} is a loopback, private, link-local or reserved address`);
  }
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) {
    throw new BlockedAddressError(`${host} is a loopback host`);
  }
  return url;
}
