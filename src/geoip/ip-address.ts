/**
 * IP address parsing and the address scopes that are never looked up in GeoIP: private,
 * loopback, link-local, shared (carrier-grade NAT), documentation, multicast and reserved
 * ranges, as the IANA IPv4 and IPv6 special-purpose address registries list them.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Where an address routes: `public` for the internet, otherwise the special range it is in. */
export type IpScope =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link_local'
  | 'shared'
  | 'documentation'
  | 'multicast'
  | 'reserved'
  | 'unspecified';

/** A parsed address: version 4 as a 32-bit number, version 6 as a 128-bit bigint. */
export type ParsedIp = { version: 4; value: number } | { version: 6; value: bigint };

/** Parses dotted IPv4 or IPv6 text (zone ids such as `%eth0` are dropped); `null` when invalid. */
export function parseIp(text: string): ParsedIp | null {
  const address = text.trim().replace(/%.*$/, '');
  if (isIPv4(address)) return { version: 4, value: ipv4Number(address) };
  if (!isIPv6(address)) return null;

  return { version: 6, value: ipv6Number(address) };
}

function ipv4Number(address: string): number {
  let value = 0;
  for (const part of address.split('.')) value = value * 256 + Number(part);
  return value;
}

// `isIPv6` has already validated the text, so each group is 1 to 4 hex digits and `::`
// appears at most once; a trailing dotted quad stands for the last two groups.
function ipv6Number(address: string): bigint {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    const v4 = ipv4Number(dotted[1]);
    const high = Math.floor(v4 / 65536).toString(16);
    text = `${text.slice(0, dotted.index)}${high}:${(v4 % 65536).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups];

  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  return value;
}

interface Range4 {
  start: number;
  bits: number;
  scope: IpScope;
}

const V4_RANGES: Range4[] = [
  { start: ipv4Number('0.0.0.0'), bits: 8, scope: 'unspecified' },
  { start: ipv4Number('10.0.0.0'), bits: 8, scope: 'private' },
  { start: ipv4Number('100.64.0.0'), bits: 10, scope: 'shared' },
  { start: ipv4Number('127.0.0.0'), bits: 8, scope: 'loopback' },
  { start: ipv4Number('169.254.0.0'), bits: 16, scope: 'link_local' },
  { start: ipv4Number('172.16.0.0'), bits: 12, scope: 'private' },
  { start: ipv4Number('192.0.0.0'), bits: 24, scope: 'reserved' },
  { start: ipv4Number('192.0.2.0'), bits: 24, scope: 'documentation' },
  { start: ipv4Number('192.168.0.0'), bits: 16, scope: 'private' },
  { start: ipv4Number('198.18.0.0'), bits: 15, scope: 'reserved' },
  { start: ipv4Number('198.51.100.0'), bits: 24, scope: 'documentation' },
  { start: ipv4Number('203.0.113.0'), bits: 24, scope: 'documentation' },
  { start: ipv4Number('224.0.0.0'), bits: 4, scope: 'multicast' },
  { start: ipv4Number('240.0.0.0'), bits: 4, scope: 'reserved' },
];

interface Range6 {
  start: bigint;
  bits: number;
  scope: IpScope;
}

const V6_RANGES: Range6[] = [
  { start: 0n, bits: 128, scope: 'unspecified' },
  { start: 1n, bits: 128, scope: 'loopback' },
  { start: ipv6Number('fc00::'), bits: 7, scope: 'private' },
  { start: ipv6Number('fe80::'), bits: 10, scope: 'link_local' },
  { start: ipv6Number('ff00::'), bits: 8, scope: 'multicast' },
  { start: ipv6Number('2001:db8::'), bits: 32, scope: 'documentation' },
  { start: ipv6Number('100::'), bits: 64, scope: 'reserved' },
];

const MAPPED_V4 = ipv6Number('::ffff:0:0');

/** Returns the scope of a parsed address; an IPv4-mapped IPv6 address gets its IPv4 scope. */
export function ipScope(ip: ParsedIp): IpScope {
  if (ip.version === 4) {
    for (const range of V4_RANGES) {
      const size = 2 ** (32 - range.bits);
      if (ip.value >= range.start && ip.value < range.start + size) return range.scope;
    }
    return 'public';
  }

  if (ip.value >> 32n === MAPPED_V4 >> 32n) {
    return ipScope({ version: 4, value: Number(ip.value & 0xffffffffn) });
  }
  for (const range of V6_RANGES) {
    const shift = BigInt(128 - range.bits);
    if (ip.value >> shift === range.start >> shift) return range.scope;
  }
  return 'public';
}

/** Returns the IPv4 form of an IPv4-mapped IPv6 address, or the address itself. */
export function unmapIp(ip: ParsedIp): ParsedIp {
  if (ip.version === 6 && ip.value >> 32n === MAPPED_V4 >> 32n) {
    return { version: 4, value: Number(ip.value & 0xffffffffn) };
  }
  return ip;
}

/** Formats an IPv4 number as dotted text. */
export function ipv4Text(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}
