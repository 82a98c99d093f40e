/**
 * Every correlation example of the Sigma 2.1 specification, loaded with base rules and events
 * written here, behaves as its title and the specification describe.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SHARED_DATA } from '../../../test/support/cli.ts';
import { parseRuleText } from './parse.ts';
import { RuleSet } from './rule-set.ts';
import { cloudtrailEvent } from './test-events.ts';

const EXAMPLES = join(SHARED_DATA, 'sigma/specification/tests/schema/correlation');
const FAILED_LOGIN_ID = '5638f7c0-ac70-491d-8465-2a65075e0d86';

type Fields = Record<string, unknown>;

/** A base rule matching records whose `kind` field has the given value. */
function baseRule(reference: string, kind: string): string {
  const key = /^[0-9a-f-]{36}$/.test(reference) ? 'id' : 'name';
  return `title: base ${reference}
${key}: ${reference}
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    kind: ${kind}
  condition: selection
`;
}

interface Outcome {
  group: Record<string, string>;
  events: number[];
}

/** Runs an example with its base rules over events given as (minute, fields) pairs. */
function run(example: string, bases: string[], events: [number, Fields][]): Outcome[] {
  const text = [readFileSync(join(EXAMPLES, example), 'utf8'), ...bases].join('\n---\n');
  const parsed = parseRuleText(text, example);
  expect(parsed.issues).toEqual([]);
  const set = new RuleSet(parsed.rules);
  expect(set.issues).toEqual([]);

  const start = Date.parse('2024-05-01T00:00:00Z');
  for (const [index, [minute, fields]] of events.entries()) {
    const time = new Date(start + minute * 60_000).toISOString();
    expect(set.match(cloudtrailEvent(fields, `e${index}`, time))).toEqual([]);
  }
  return set.finish().map((hit) => ({
    group: hit.group,
    events: hit.event_uids.map((uid) => Number(uid.slice(1))).sort((a, b) => a - b),
  }));
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('specification correlation examples', () => {
  test('event_count: many failed logins', () => {
    const failed = (host: string, minute: number): [number, Fields] => [
      minute,
      { kind: 'failed', ComputerName: host },
    ];
    const events = [
      ...range(100).map((i) => failed('dc1', i * 0.5)),
      ...range(99).map((i) => failed('dc2', i * 0.5)),
    ];
    const hits = run('event_count.yml', [baseRule(FAILED_LOGIN_ID, 'failed')], events);

    expect(hits).toEqual([{ group: { ComputerName: 'dc1' }, events: range(100) }]);
  });

  test('event_count: ecs field names', () => {
    const query = (name: string, minute: number): [number, Fields] => [
      minute,
      { kind: 'failed', dns: { question: { name } } },
    ];
    const events = [
      ...range(100).map((i) => query('evil.example', i * 0.5)),
      ...range(100).map((i) => query('slow.example', i * 2)),
    ];
    const hits = run('event_count_ecs.yml', [baseRule(FAILED_LOGIN_ID, 'failed')], events);

    expect(hits).toEqual([{ group: { 'dns.question.name': 'evil.example' }, events: range(100) }]);
  });

  test('value_count: many users per host pair', () => {
    const attempt = (user: string, workstation: string, minute: number): [number, Fields] => [
      minute,
      { kind: 'failed', ComputerName: 'dc1', WorkstationName: workstation, User: user },
    ];
    const events = [
      ...range(100).map((i) => attempt(`user${i}`, 'ws1', i)),
      ...range(120).map((i) => attempt(`user${i % 99}`, 'ws2', i)),
    ];
    const hits = run('value_count.yml', [baseRule(FAILED_LOGIN_ID, 'failed')], events);

    expect(hits).toEqual([
      { group: { ComputerName: 'dc1', WorkstationName: 'ws1' }, events: range(100) },
    ]);
  });

  const recon = ['recon_cmd_a', 'recon_cmd_b', 'recon_cmd_c'].map((name) =>
    baseRule(name, name.slice(-1)),
  );
  const command = (kind: string, host: string, minute: number): [number, Fields] => [
    minute,
    { kind, ComputerName: host, User: 'alice' },
  ];

  test('temporal: recon commands in any order', () => {
    const events = [
      command('c', 'pc1', 0),
      command('a', 'pc1', 1),
      command('b', 'pc1', 4),
      command('a', 'pc2', 0),
      command('b', 'pc2', 1),
      command('c', 'pc2', 6),
    ];
    const hits = run('temporal.yml', recon, events);

    expect(hits).toEqual([{ group: { ComputerName: 'pc1', User: 'alice' }, events: [0, 1, 2] }]);
  });

  test('temporal_ordered: recon commands in order', () => {
    const events = [
      command('a', 'pc1', 0),
      command('b', 'pc1', 1),
      command('c', 'pc1', 2),
      command('c', 'pc2', 0),
      command('b', 'pc2', 1),
      command('a', 'pc2', 2),
    ];
    const hits = run('temporal_ordered.yml', recon, events);

    expect(hits).toEqual([{ group: { ComputerName: 'pc1', User: 'alice' }, events: [0, 1, 2] }]);
  });

  const flow = (ip: string, field: string, bytes: number, minute: number): [number, Fields] => [
    minute,
    { kind: 'flow', SourceIP: ip, User: 'alice', [field]: bytes },
  ];

  test('value_sum: possible exfiltration', () => {
    const events = [
      flow('10.0.0.1', 'bytes_sent', 600_000, 0),
      flow('10.0.0.1', 'bytes_sent', 500_000, 30),
      flow('10.0.0.2', 'bytes_sent', 600_000, 0),
      flow('10.0.0.2', 'bytes_sent', 500_000, 61),
    ];
    const hits = run('value_sum.yml', [baseRule('website_access', 'flow')], events);

    expect(hits).toEqual([{ group: { SourceIP: '10.0.0.1', User: 'alice' }, events: [0, 1] }]);
  });

  test('value_avg: high average traffic', () => {
    const events = [
      flow('10.0.0.1', 'BytesOut', 400, 0),
      flow('10.0.0.1', 'BytesOut', 700, 600),
      flow('10.0.0.2', 'BytesOut', 400, 0),
      flow('10.0.0.2', 'BytesOut', 600, 600),
      flow('10.0.0.2', 'BytesOut', 100, 700),
    ];
    const hits = run('value_avg.yml', [baseRule('rule_a_id', 'flow')], events);

    expect(hits).toEqual([{ group: { SourceIP: '10.0.0.1', User: 'alice' }, events: [0, 1] }]);
  });

  test('value_percentile: rare process name', () => {
    const process = (host: string, image: string, minute: number): [number, Fields] => [
      minute,
      { kind: 'process', ComputerName: host, Image: image },
    ];
    // On pc1 the tool is 1 of 200 processes (0.5%); on pc2 it is 1 of 51 (about 2%).
    const events = [
      ...range(199).map((i) => process('pc1', 'C:\\Windows\\svchost.exe', i * 5)),
      process('pc1', 'C:\\Temp\\tool.exe', 300),
      ...range(50).map((i) => process('pc2', 'C:\\Windows\\svchost.exe', i * 5)),
      process('pc2', 'C:\\Temp\\tool.exe', 100),
    ];
    const hits = run('value_percentile.yml', [baseRule('process_creation', 'process')], events);

    expect(hits).toEqual([{ group: { ComputerName: 'pc1' }, events: [199] }]);
  });
});
