import { describe, expect, it } from 'vitest';
import { AsnTable, organisation } from './asn-table.ts';
import { describeIp, parseIp, shippedGeoIp } from './index.ts';

describe('AS table', () => {
  const v4 = Buffer.from(
    '16777216,16777471,13335,"Cloudflare, Inc."\r\n' +
      '16778240,16779263,38803,Gtelecom Pty Ltd\n' +
      '16781312,16781567,2519,"The ""Quoted"" Net"\n',
  );
  const v6 = Buffer.from(
    '42540528726795050063891204319802818560,42540528806023212578155541913346768895,2500,WIDE\n',
  );
  const table = new AsnTable(
    () => v4,
    () => v6,
  );

  it('finds the range of an address', () => {
    expect(table.lookup(parseIp('1.0.0.1')!)).toEqual({ asn: 13335, org: 'Cloudflare, Inc.' });
    expect(table.lookup(parseIp('1.0.4.0')!)).toEqual({ asn: 38803, org: 'Gtelecom Pty Ltd' });
    expect(table.lookup(parseIp('1.0.16.255')!)?.org).toBe('The "Quoted" Net');
    expect(table.lookup(parseIp('2001:200::1')!)).toEqual({ asn: 2500, org: 'WIDE' });
  });

  it('finds nothing between ranges', () => {
    expect(table.lookup(parseIp('1.0.1.0')!)).toBeNull();
    expect(table.lookup(parseIp('0.255.255.255')!)).toBeNull();
    expect(table.lookup(parseIp('9.9.9.9')!)).toBeNull();
  });

  it('unquotes organisations', () => {
    expect(organisation('"a, b"')).toBe('a, b');
    expect(organisation('plain\r')).toBe('plain');
  });
});

describe('shipped GeoIP data', () => {
  const data = shippedGeoIp();

  it('places a public address with its network', () => {
    const info = describeIp(data, '81.2.69.160');

    expect(info?.scope).toBe('public');
    expect(info?.country).toBe('GB');
    expect(info?.asn).toBe(20712);
    expect(info?.latitude).toBeTypeOf('number');
    expect(info?.cloud).toBeNull();
  });

  it('names cloud provider networks', () => {
    expect(describeIp(data, '52.95.110.1')?.cloud).toBe('aws');
    expect(describeIp(data, '8.8.8.8')?.cloud).toBe('gcp');
  });

  it('reads IPv6 and IPv4-mapped addresses', () => {
    expect(describeIp(data, '2a00:1450:4001:80b::200e')?.country).toBe('DE');
    expect(describeIp(data, '::ffff:81.2.69.160')?.country).toBe('GB');
  });

  it('looks up no private or special address', () => {
    for (const address of ['10.0.0.1', '127.0.0.1', '203.0.113.5', '::1', 'fd00::1']) {
      const info = describeIp(data, address);
      expect(info?.country, address).toBeNull();
      expect(info?.asn, address).toBeNull();
    }
  });

  it('states when the data was built', () => {
    expect(data.builtAt?.getUTCFullYear()).toBeGreaterThanOrEqual(2026);
  });
});
