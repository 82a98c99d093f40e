/** Recognises and normalizes indicator values: IP addresses and networks, domains, keys, hashes. */
import { isIP } from 'node:net';
import type { IndicatorType } from './types.ts';

const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/;
const ACCESS_KEY = /^(?:AKIA|ASIA)[A-Z0-9]{16}$/;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;
// A product token with a version, such as `curl/8.4.0` or `python-requests/2.31`.
const USER_AGENT = /^[A-Za-z][\w.+-]*\/[\w.+-]+/;

/** A recognised value. */
export interface Classified {
  type: IndicatorType;
  value: string;
}

/**
 * Normalizes `raw` as an indicator of type `hint`, or, without a hint, of the first type it
 * looks like. Returns `null` for a value of no known type or one that is invalid for its hint.
 */
export function classify(raw: string, hint?: IndicatorType): Classified | null {
  const value = raw.trim();
  if (value === '') return null;
  if (hint) return normalizeAs(value, hint);

  for (const type of ['ip', 'cidr', 'access_key', 'hash', 'url', 'domain'] as const) {
    const found = normalizeAs(value, type);
    if (found) return found;
  }
  return USER_AGENT.test(value) ? { type: 'user_agent', value } : null;
}

function normalizeAs(value: string, type: IndicatorType): Classified | null {
  switch (type) {
    case 'ip':
      if (value.includes('/')) return normalizeAs(value, 'cidr');
      return isIP(unbracket(value)) ? { type, value: canonicalIp(unbracket(value)) } : null;
    case 'cidr': {
      const cidr = parseCidr(value);
      return cidr ? { type, value: `${canonicalIp(cidr.address)}/${cidr.prefix}` } : null;
    }
    case 'domain': {
      const domain = value.toLowerCase().replace(/\.$/, '');
      return DOMAIN.test(domain) ? { type, value: domain } : null;
    }
    case 'url': {
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return null;
      try {
        return { type, value: new URL(value).href };
      } catch {
        return null;
      }
    }
    case 'hash': {
      const hash = value.toLowerCase();
      return HASH.test(hash) ? { type, value: hash } : null;
    }
    case 'access_key':
      return ACCESS_KEY.test(value) ? { type, value } : null;
    case 'user_agent':
      return { type, value };
  }
}

function unbracket(value: string): string {
  return value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
}

/** A parsed network: its address (not yet masked) and prefix length. */
export interface Cidr {
  address: string;
  prefix: number;
  version: 4 | 6;
}

/** Parses `address/prefix`, or returns `null`. */
export function parseCidr(value: string): Cidr | null {
  const slash = value.indexOf('/');
  if (slash < 0) return null;
  const address = value.slice(0, slash);
  const prefixText = value.slice(slash + 1);
  const version = isIP(address);
  if (version === 0 || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > (version === 4 ? 32 : 128)) return null;

  return { address, prefix, version: version as 4 | 6 };
}

/** Returns an IP address as a bigint and its version, or `null` for no address. */
export function ipToBigInt(address: string): { value: bigint; version: 4 | 6 } | null {
  const version = isIP(address);
  if (version === 4) {
    const parts = address.split('.').map(Number);
    return { value: parts.reduce((acc, part) => (acc << 8n) | BigInt(part), 0n), version: 4 };
  }
  if (version !== 6) return null;
  // An IPv4-mapped tail (`::ffff:1.2.3.4`) is two 16-bit groups.
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const tail = ipToBigInt(v4[1])?.value ?? 0n;
    text = `${text.slice(0, -v4[1].length)}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return {
    value: groups.reduce((acc, group) => (acc << 16n) | BigInt(`0x${group || '0'}`), 0n),
    version: 6,
  };
}

/** Writes an address in one form, so that the same address always compares equal. */
export function canonicalIp(address: string): string {
  if (isIP(address) === 4) return address.split('.').map(Number).join('.');
  const parsed = ipToBigInt(address);
  if (parsed === null) return address;

  const groups: string[] = [];
  for (let i = 7; i >= 0; i--)
    groups.push(((parsed.value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}
