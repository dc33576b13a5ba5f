// Who is on the other end of a request, as far as the server can tell: the peer address of the TCP
// connection, or behind a trusted reverse proxy the right-most X-Forwarded-For entry the proxies did not
// add themselves. From that address come the key that rate limits count against (an IPv6 host has a
// whole /64, so it is limited as one) and the presence network a device is grouped into.

import { isIPv4, isIPv6 } from 'node:net';

/** A parsed address: 4 bytes for IPv4 (IPv4-mapped IPv6 is converted), 16 for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: readonly number[];
}

export interface Cidr {
  family: 4 | 6;
  bytes: readonly number[];
  prefix: number;
}

/** Parses an IPv4 or IPv6 literal (brackets and zone ids allowed); null for anything else. */
export function parseIp(raw: string): IpAddress | null {
  let text = raw.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (isIPv4(text)) return { family: 4, bytes: text.split('.').map(Number) };
  if (!isIPv6(text)) return null;
  const bytes = ipv6Bytes(text);
  if (!bytes) return null;
  // ::ffff:a.b.c.d is how a dual-stack listener reports IPv4 clients: group and limit them as IPv4.
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? { family: 4, bytes: bytes.slice(12) } : { family: 6, bytes };
}

function ipv6Bytes(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string | undefined): number[] | null => {
    if (!part) return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        if (!isIPv4(piece)) return null;
        const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return all.flatMap((g) => [(g >> 8) & 0xff, g & 0xff]);
}

/** Parses "10.0.0.0/8", "fd00::/8" or a single address (a /32 or /128); null when invalid. */
export function parseCidr(raw: string): Cidr | null {
  const [addressPart = '', prefixPart, extra] = raw.trim().split('/');
  if (extra !== undefined) return null;
  const ip = parseIp(addressPart);
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (prefixPart !== undefined) {
    if (!/^\d{1,3}$/.test(prefixPart)) return null;
    prefix = Number(prefixPart);
    // An IPv4-mapped CIDR such as ::ffff:10.0.0.0/104 describes IPv4 addresses.
    if (ip.family === 4 && addressPart.includes(':')) prefix -= 96;
    if (prefix < 0 || prefix > max) return null;
  }
  return { family: ip.family, bytes: ip.bytes, prefix };
}

export class AddressSet {
  readonly #ranges: readonly Cidr[];

  constructor(ranges: readonly Cidr[]) {
    this.#ranges = ranges;
  }

  get size(): number {
    return this.#ranges.length;
  }

  has(ip: IpAddress): boolean {
    return this.#ranges.some((range) => inRange(ip, range));
  }
}

function inRange(ip: IpAddress, range: Cidr): boolean {
  if (ip.family !== range.family) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((ip.bytes[i] ?? 0) & mask) !== ((range.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

// Addresses that never leave a site: a LAN server only ever sees these, and all of them are one network.
const LOCAL_RANGES = new AddressSet(
  [
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '100.64.0.0/10',
    '0.0.0.0/32',
    '::1/128',
    '::/128',
    'fc00::/7',
    'fe80::/10',
  ].map((r) => parseCidr(r) as Cidr),
);

/** The presence group of an address; never logged or sent anywhere. */
export function networkKeyOf(ip: IpAddress): string {
  if (LOCAL_RANGES.has(ip)) return 'local';
  return limitKeyOf(ip);
}

/** What per-address limits count against: the IPv4 address, or the IPv6 /64 (one host's allocation). */
export function limitKeyOf(ip: IpAddress): string {
  if (ip.family === 4) return `4:${ip.bytes.join('.')}`;
  return `6:${ip.bytes
    .slice(0, 8)
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')}`;
}

// Unknown peers (a socket that closed before we looked) share one key, so they are still limited.
const UNKNOWN: IpAddress = { family: 4, bytes: [0, 0, 0, 0] };

/**
 * The client's address. Without trusted proxies, or when the connection does not come from one,
 * X-Forwarded-For is ignored: anyone can send it. Otherwise the entries are read right to left, skipping
 * trusted proxies, and the first untrusted one is the client (entries further left were written by the
 * client itself and prove nothing). A malformed entry ends the walk at the last hop that was checked.
 */
export function resolveClientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: AddressSet,
): IpAddress {
  const direct = (remoteAddress && parseIp(remoteAddress)) || UNKNOWN;
  if (trusted.size === 0 || forwardedFor === undefined || !trusted.has(direct)) return direct;
  const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let client = direct;
  for (let i = entries.length - 1; i >= 0; i--) {
    const hop = parseIp(entries[i] ?? '');
    if (!hop) return client;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}

/** Whether an address is a literal (so an Origin naming it cannot be a DNS-rebinding host name). */
export function isIpLiteral(host: string): boolean {
  return parseIp(host) !== null;
}
