import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type IndicatorKind, type IndicatorValue, stixBundle } from '../export/stix.ts';
import { loadIntelFile } from './load.ts';

const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function intelFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cloudcase-intel-'));
  dirs.push(dir);
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

const STIX = JSON.stringify(
  {
    type: 'bundle',
    id: 'bundle--1',
    objects: [
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--a',
        name: 'C2 address',
        pattern_type: 'stix',
        pattern:
          "[ipv4-addr:value = '198.51.100.7'] OR [ipv6-addr:value ISSUBSET '2001:db8:bad::/48']",
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--b',
        pattern_type: 'stix',
        pattern: "[domain-name:value IN ('evil.example', 'worse.example')]",
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--c',
        pattern_type: 'stix',
        pattern:
          "[file:hashes.'SHA-256' = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']",
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--d',
        pattern_type: 'stix',
        pattern: "[process:name = 'evil.exe']",
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--e',
        pattern_type: 'yara',
        pattern: 'rule x { condition: true }',
      },
      { type: 'ipv4-addr', spec_version: '2.1', id: 'ipv4-addr--f', value: '192.0.2.0/24' },
      { type: 'url', spec_version: '2.1', id: 'url--g', value: 'https://drop.example/x.sh' },
      { type: 'malware', spec_version: '2.1', id: 'malware--h', name: 'x' },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--i',
        revoked: true,
        pattern_type: 'stix',
        pattern: "[ipv4-addr:value = '192.0.2.99']",
      },
    ],
  },
  null,
  2,
);

describe('intel loader', () => {
  it('reads STIX patterns and observables', async () => {
    const { summary, indicators } = await loadIntelFile(await intelFile('b.json', STIX));

    expect(summary.format).toBe('stix');
    expect(indicators.map((i) => `${i.type}:${i.value}`)).toEqual([
      'ip:198.51.100.7',
      'cidr:2001:db8:bad:0:0:0:0:0/48',
      'domain:evil.example',
      'domain:worse.example',
      'hash:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'cidr:192.0.2.0/24',
      'url:https://drop.example/x.sh',
    ]);
    expect(indicators[0]?.label).toBe('C2 address');
    expect(summary.skipped).toBe(1);
  });

  it("reads back every indicator of cloudcase's own STIX export", async () => {
    const value = (kind: IndicatorKind, text: string): IndicatorValue => ({
      kind,
      value: text,
      events: 1,
      first_seen: '2024-04-02T10:00:00.000Z',
      last_seen: '2024-04-02T10:00:00.000Z',
      titles: ['Access key used off the instance'],
      tactics: [],
      techniques: [],
    });
    const bundle = stixBundle(
      [
        value('ip', '198.51.100.7'),
        value('access_key', 'ASIAQ3EGV7KAMD4NAK3Y'),
        value('user_agent', 'python-requests/2.31'),
        value('domain', 'evil.example'),
      ],
      'round trip',
    );
    const { summary, indicators } = await loadIntelFile(
      await intelFile('export.stix', JSON.stringify(bundle)),
    );

    expect(summary.problems).toEqual([]);
    // Patterns and observables name the same values; each is read from both.
    expect([...new Set(indicators.map((i) => `${i.type}:${i.value}`))].sort()).toEqual([
      'access_key:ASIAQ3EGV7KAMD4NAK3Y',
      'domain:evil.example',
      'ip:198.51.100.7',
      'user_agent:python-requests/2.31',
    ]);
  });

  it('reports unsupported STIX patterns with their lines', async () => {
    const { summary } = await loadIntelFile(await intelFile('b.json', STIX));
    const codes = summary.problems.map((p) => [p.code, p.line]);

    expect(codes).toEqual([
      ['unsupported_pattern', STIX.split('\n').findIndex((l) => l.includes('indicator--d')) + 1],
      ['unsupported_pattern', STIX.split('\n').findIndex((l) => l.includes('indicator--e')) + 1],
    ]);
  });

  it('reads hostile STIX patterns without backtracking', async () => {
    const hostile = (pattern: string, id: string) => ({
      type: 'indicator',
      id,
      pattern_type: 'stix',
      pattern,
    });
    const bundle = {
      type: 'bundle',
      objects: [
        hostile(`[file:${'a.'.repeat(1900)}a !`, 'indicator--long-path'),
        hostile(`[url:value IN ('a'${"  'a'".repeat(700)}`, 'indicator--open-list'),
        hostile('a'.repeat(5000), 'indicator--too-long'),
      ],
    };
    const { summary, indicators } = await loadIntelFile(
      await intelFile('h.json', JSON.stringify(bundle)),
    );

    expect(indicators).toEqual([]);
    expect(summary.problems.map((p) => p.code)).toEqual([
      'unsupported_pattern',
      'unsupported_pattern',
      'unsupported_pattern',
    ]);
  });

  it('reads MISP events, objects and attribute searches', async () => {
    const event = {
      Event: {
        info: 'Phishing wave',
        Attribute: [
          { uuid: 'u1', type: 'ip-dst|port', value: '203.0.113.5|443' },
          { uuid: 'u2', type: 'domain|ip', value: 'bad.example|203.0.113.6' },
          { uuid: 'u3', type: 'email-src', value: 'x@bad.example' },
          { uuid: 'u4', type: 'ip-src', value: 'not-an-ip' },
          { uuid: 'u7', type: 'ip-src', value: '192.0.2.1', deleted: true },
        ],
        Object: [{ Attribute: [{ uuid: 'u5', type: 'user-agent', value: 'EvilBot/1.0' }] }],
      },
    };
    const search = {
      response: { Attribute: [{ uuid: 'u6', type: 'sha1', value: 'a'.repeat(40) }] },
    };
    const one = await loadIntelFile(await intelFile('e.json', JSON.stringify(event, null, 1)));
    const two = await loadIntelFile(await intelFile('s.json', JSON.stringify(search)));

    expect(one.summary.format).toBe('misp');
    expect(one.indicators.map((i) => `${i.type}:${i.value}`)).toEqual([
      'ip:203.0.113.5',
      'domain:bad.example',
      'ip:203.0.113.6',
      'user_agent:EvilBot/1.0',
    ]);
    // The e-mail address and the deleted attribute.
    expect(one.summary.skipped).toBe(2);
    expect(one.summary.problems.map((p) => p.code)).toEqual(['invalid_indicator']);
    expect(one.summary.problems[0]?.line).toBeGreaterThan(1);
    expect(two.indicators.map((i) => i.type)).toEqual(['hash']);
  });

  it('reads CSV with a type column', async () => {
    const csv = [
      'type,value,description',
      'ip,198.51.100.9,"scanner, loud"',
      'access_key,AKIAABCDEFGHIJKLMNOP,leaked key',
      'ip,300.1.1.1,typo',
      'email,a@b.example,',
    ].join('\n');
    const { summary, indicators } = await loadIntelFile(await intelFile('i.csv', csv));

    expect(summary.format).toBe('csv');
    expect(indicators.map((i) => [i.type, i.value, i.label, i.line])).toEqual([
      ['ip', '198.51.100.9', 'scanner, loud', 2],
      ['access_key', 'AKIAABCDEFGHIJKLMNOP', 'leaked key', 3],
    ]);
    expect(summary.problems.map((p) => [p.code, p.line])).toEqual([['invalid_indicator', 4]]);
    expect(summary.skipped).toBe(1);
  });

  it('recognises plain list values by their form', async () => {
    const list = [
      '# feed',
      '198.51.100.10',
      '2001:DB8::1',
      '10.0.0.0/8',
      'Evil.Example.',
      'ASIAABCDEFGHIJKLMNOP',
      'd41d8cd98f00b204e9800998ecf8427e',
      'python-requests/2.31.0',
      'just words',
    ].join('\n');
    const { summary, indicators } = await loadIntelFile(await intelFile('l.txt', list));

    expect(summary.format).toBe('list');
    expect(indicators.map((i) => `${i.type}:${i.value}`)).toEqual([
      'ip:198.51.100.10',
      'ip:2001:db8:0:0:0:0:0:1',
      'cidr:10.0.0.0/8',
      'domain:evil.example',
      'access_key:ASIAABCDEFGHIJKLMNOP',
      'hash:d41d8cd98f00b204e9800998ecf8427e',
      'user_agent:python-requests/2.31.0',
    ]);
    expect(summary.problems.map((p) => [p.code, p.line])).toEqual([['unknown_indicator', 9]]);
  });

  it('reports invalid JSON without failing', async () => {
    const { summary, indicators } = await loadIntelFile(await intelFile('x.json', '{"type": '));

    expect(indicators).toEqual([]);
    expect(summary.problems.map((p) => p.code)).toEqual(['invalid_json']);
  });
});
