import { describe, expect, it } from 'vitest';
import { ipScope, parseIp } from './ip-address.ts';

const scopeOf = (text: string) => {
  const parsed = parseIp(text);
  return parsed === null ? null : ipScope(parsed);
};

describe('IP address scope', () => {
  it.each([
    ['10.20.30.40', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['100.64.0.1', 'shared'],
    ['203.0.113.77', 'documentation'],
    ['224.0.0.251', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', 'public'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd12:3456::1', 'private'],
    ['fe80::1%eth0', 'link_local'],
    ['2001:db8::5', 'documentation'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
  ])('%s is %s', (text, scope) => {
    expect(scopeOf(text)).toBe(scope);
  });

  it('rejects text that is no address', () => {
    expect(parseIp('AWS Internal')).toBeNull();
    expect(parseIp('999.1.1.1')).toBeNull();
    expect(parseIp('')).toBeNull();
  });

  it('reads IPv6 with and without a gap', () => {
    expect(parseIp('::ffff:1.2.3.4')).toEqual({ version: 6, value: 0xffff01020304n });
    expect(parseIp('1:2:3:4:5:6:7:8')?.value).toBe(0x00010002000300040005000600070008n);
    expect(parseIp('1::8')?.value).toBe(0x00010000000000000000000000000008n);
  });
});
