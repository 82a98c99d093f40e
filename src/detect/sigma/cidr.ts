/**
 * IPv4 and IPv6 addresses and CIDR networks for the `cidr` modifier. Addresses are parsed by
 * hand into big integers because `node:net` can validate but not compare them.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An address as a number, with its family's width in bits. */
export interface IpAddress {
  bits: 32 | 128;
  value: bigint;
}

/** A parsed CIDR network. */
export interface CidrNetwork {
  bits: 32 | 128;
  prefix: number;
  /** Network address with host bits cleared. */
  network: bigint;
}

/** Parses an IPv4 or IPv6 address (zone ids and IPv4-mapped tails allowed), or returns null. */
export function parseIp(text: string): IpAddress | null {
  const address = text.trim().replace(/%.*$/, '');
  if (isIPv4(address)) return { bits: 32, value: ipv4Value(address) };
  if (!isIPv6(address)) return null;

  return { bits: 128, value: ipv6Value(address) };
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((sum, octet) => (sum << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Value(address: string): bigint {
  let text = address;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    // An embedded IPv4 tail is two 16-bit groups.
    const v4 = ipv4Value(tail[1]!);
    text = `${text.slice(0, tail.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }

  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill('0'), ...restGroups];

  return groups.reduce((sum, group) => (sum << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/** Parses `address/prefix`; a bare address is a single-host network. Returns null if invalid. */
export function parseCidr(text: string): CidrNetwork | null {
  const [addressText = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;

  const address = parseIp(addressText);
  if (address === null) return null;

  const prefix = prefixText === undefined ? address.bits : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? '0') || prefix > address.bits) return null;

  return { bits: address.bits, prefix, network: address.value & mask(address.bits, prefix) };
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** Compiles a network into a predicate over address text; non-addresses never match. */
export function compileCidr(network: CidrNetwork): (text: string) => boolean {
  const netmask = mask(network.bits, network.prefix);
  return (text) => {
    const address = parseIp(text);
    if (address === null || address.bits !== network.bits) return false;
    return (address.value & netmask) === network.network;
  };
}
