import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SHARED_DATA, tempDir } from '../../../test/support/cli.ts';
import { compileRule } from './compile.ts';
import { applyFilters } from './filter.ts';
import { loadRules } from './load.ts';
import type { DetectionRule, SigmaRule } from './model.ts';
import { parseRuleText } from './parse.ts';
import { RuleSet } from './rule-set.ts';
import { cloudtrailEvent, cloudtrailRule } from './test-events.ts';

const SPEC_FILTERS = join(SHARED_DATA, 'sigma/specification/tests/schema/filter');
const RAR_ID = '6f3e2987-db24-4c78-a860-b4f4095a7095';
const JUMP_ID = 'df0841c0-9846-4e9f-ad8a-7df91571771b';

function rule(id: string, logsource: string, detection: string, name?: string): string {
  const named = name === undefined ? '' : `name: ${name}\n`;
  return `title: rule ${id}\nid: ${id}\n${named}logsource:\n${logsource}\ndetection:\n${detection}\n`;
}

const matches = (target: SigmaRule, record: Record<string, unknown>) => {
  const predicate = compileRule(target as DetectionRule);
  if (typeof predicate !== 'function') throw new Error(predicate.message);
  return predicate(record);
};

describe('sigma filters', () => {
  test('specification filter suppresses admin accounts', async () => {
    const dir = await tempDir();
    const windows = '  product: windows\n  category: process_creation';
    const rar = rule(RAR_ID, windows, '  s:\n    Image|endswith: \\rar.exe\n  condition: s');
    const jump = rule(JUMP_ID, windows, '  s:\n    Computer: jump01\n  condition: s');
    await writeFile(join(dir, 'rar.yml'), rar);
    await writeFile(join(dir, 'jump.yml'), jump);

    const result = await loadRules([dir, join(SPEC_FILTERS, 'filter_1.yml')]);
    expect(result.issues).toEqual([]);
    expect(result.filters).toHaveLength(1);
    const rarRule = result.rules.find((found) => found.id === RAR_ID);
    const jumpRule = result.rules.find((found) => found.id === JUMP_ID);
    expect((rarRule as DetectionRule | undefined)?.filters).toEqual([result.filters[0]!.id]);
    expect((jumpRule as DetectionRule | undefined)?.filters).toEqual([result.filters[0]!.id]);

    const image = 'C:\\Program Files\\WinRAR\\rar.exe';
    expect(matches(rarRule!, { Image: image, User: 'alice' })).toBe(true);
    expect(matches(rarRule!, { Image: image, User: 'adm_alice' })).toBe(false);
    expect(matches(jumpRule!, { Computer: 'jump01', User: 'adm_bob' })).toBe(false);
    expect(matches(jumpRule!, { Computer: 'jump01' })).toBe(true);
  });

  test('specification ecs filter matches nested field', async () => {
    const dir = await tempDir();
    const dns = '  category: network\n  service: dns';
    const detection = '  s:\n    dns.question.name|endswith: .com\n  condition: s';
    await writeFile(join(dir, 'dns.yml'), rule(RAR_ID, dns, detection));

    const result = await loadRules([dir, join(SPEC_FILTERS, 'filter_ecs.yml')]);
    const [dnsRule] = result.rules;
    expect(result.issues.map((issue) => issue.code)).toEqual(['unknown_filter_target']);
    expect(result.filters[0]!.taxonomy).toBe('ecs');
    expect(matches(dnsRule!, { dns: { question: { name: 'evil.com' } } })).toBe(true);
    expect(matches(dnsRule!, { dns: { question: { name: 'www.google.com' } } })).toBe(false);
  });

  test('filter suppresses a rule set match', () => {
    const base = `${cloudtrailRule('s:\n  eventName: StopLogging\ncondition: s', 'Trail stopped')}name: trail_stopped\n`;
    const filter = `title: Automation stops trails
logsource:
  product: aws
filter:
  rules: [TRAIL_STOPPED]
  automation:
    userIdentity.arn|startswith: 'arn:aws:iam::111122223333:role/'
  change_window:
    eventTime|startswith: '2024-05-01T02:'
  condition: automation and change_window
`;
    const parsed = parseRuleText(`${base}---\n${filter}`, 'trail.yml');
    expect(parsed.issues).toEqual([]);
    const applied = applyFilters(parsed.rules, parsed.filters);
    expect(applied.issues).toEqual([]);
    const set = new RuleSet(applied.rules);

    const role = 'arn:aws:iam::111122223333:role/deployer';
    const night = { eventName: 'StopLogging', eventTime: '2024-05-01T02:10:00Z' };
    expect(set.match(cloudtrailEvent({ ...night, userIdentity: { arn: role } }))).toEqual([]);
    const user = { arn: 'arn:aws:iam::111122223333:user/mallory' };
    expect(set.match(cloudtrailEvent({ ...night, userIdentity: user }))).toHaveLength(1);
    const day = { ...night, eventTime: '2024-05-01T14:00:00Z', userIdentity: { arn: role } };
    expect(set.match(cloudtrailEvent(day))).toHaveLength(1);
    // The parsed rule is left as it was.
    expect(new RuleSet(parsed.rules).match(cloudtrailEvent(night))).toHaveLength(1);
  });

  test('filter of another logsource rejected', () => {
    const base = `${cloudtrailRule('s:\n  eventName: X\ncondition: s')}name: base\n`;
    const filter =
      'title: f\nlogsource:\n  product: gcp\nfilter:\n  rules: [base]\n  s:\n    a: b\n  condition: s\n';
    const parsed = parseRuleText(`${base}---\n${filter}`, 'f.yml');
    const applied = applyFilters(parsed.rules, parsed.filters);

    expect(applied.issues.map((issue) => `${issue.severity}:${issue.code}`)).toEqual([
      'error:filter_logsource_mismatch',
    ]);
    expect(applied.issues[0]!.line).toBe(11);
    expect(applied.rules).toEqual(parsed.rules);
  });

  test('filter of unknown rule reported', () => {
    const filter =
      'title: f\nlogsource:\n  product: aws\nfilter:\n  rules: nothing\n  s:\n    a: b\n  condition: s\n';
    const parsed = parseRuleText(filter, 'f.yml');
    const applied = applyFilters(parsed.rules, parsed.filters);

    expect(parsed.filters[0]!.rules).toEqual(['nothing']);
    expect(applied.issues.map((issue) => issue.code)).toEqual(['unknown_filter_target']);
  });

  test('invalid filter documents rejected', () => {
    const cases: [string, string][] = [
      [
        'logsource:\n  product: aws\nfilter:\n  s:\n    a: b\n  condition: s\n',
        'missing_filter_rules',
      ],
      ['logsource:\n  product: aws\nfilter:\n  rules: [x]\n  s:\n    a: b\n', 'missing_condition'],
      ['logsource:\n  product: aws\nfilter: [x]\n', 'invalid_filter'],
      ['filter:\n  rules: [x]\n  s:\n    a: b\n  condition: s\n', 'missing_logsource'],
      [
        'logsource:\n  product: aws\nfilter:\n  rules: [x]\n  s:\n    a|nope: b\n  condition: s\n',
        'unknown_modifier',
      ],
    ];
    for (const [body, code] of cases) {
      const parsed = parseRuleText(`title: f\n${body}`, 'f.yml');
      expect(parsed.filters, code).toEqual([]);
      expect(parsed.issues.map((issue) => issue.code)).toContain(code);
    }
  });

  test('negated filter condition warned', () => {
    const filter =
      'title: f\nlogsource:\n  product: aws\nfilter:\n  rules: [x]\n  s:\n    a: b\n  condition: not s\n';
    const parsed = parseRuleText(filter, 'f.yml');

    expect(parsed.filters).toHaveLength(1);
    expect(parsed.issues.map((issue) => issue.code)).toEqual(['filter_condition_negated']);
    expect(parsed.issues[0]!.field).toBe('filter.condition');
  });

  test('two filters on one rule both apply', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'filters'));
    await writeFile(
      join(dir, 'base.yml'),
      `${cloudtrailRule('s:\n  eventName: X\ncondition: s')}id: ${RAR_ID}\n`,
    );
    for (const value of ['one', 'two']) {
      await writeFile(
        join(dir, 'filters', `${value}.yml`),
        `title: ${value}\nlogsource:\n  product: aws\n  service: cloudtrail\nfilter:\n  rules: [${RAR_ID}]\n  s:\n    user: ${value}\n  condition: s\n`,
      );
    }
    const result = await loadRules([dir]);
    const [base] = result.rules;

    expect((base as DetectionRule).filters).toHaveLength(2);
    expect(matches(base!, { eventName: 'X', user: 'one' })).toBe(false);
    expect(matches(base!, { eventName: 'X', user: 'two' })).toBe(false);
    expect(matches(base!, { eventName: 'X', user: 'three' })).toBe(true);
  });
});
