import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '../src/core/event.ts';
import { loadRules, RuleSet, type SigmaRule } from '../src/detect/sigma/index.ts';
import { cloudTrailEvent } from './cloudtrail-event.ts';

const RULES_ROOT = join(import.meta.dirname, '..', 'rules');
const OTRF = '/work/shared/data/logs/otrf-aws-ec2-proxy-s3-exfiltration';
const PANTHER_ROOT = '/work/shared/data/logs/panther-test-scenarios/compromised-root-creds/native';
const PANTHER_ATTACKER_IP = '92.55.146.245';
const SERIOUS = new Set(['high', 'critical']);

type RawRecord = Record<string, unknown>;

interface RuleTests {
  match: RawRecord[];
  nomatch: RawRecord[];
}

let rules: SigmaRule[] = [];
let packRules: SigmaRule[] = [];
let errors: string[] = [];

/**
 * Finds the rules that stand on their own: everything except the base rules that a correlation
 * in the pack references and does not generate on their own.
 */
function standaloneRules(all: SigmaRule[]): SigmaRule[] {
  const hidden = new Set<string>();
  for (const rule of all) {
    if (rule.kind !== 'correlation' || rule.generate) continue;
    for (const ref of rule.rules) hidden.add(ref);
  }
  return all.filter(
    (rule) => !hidden.has(rule.id) && (rule.name === null || !hidden.has(rule.name)),
  );
}

function testsPath(rule: SigmaRule): string {
  return join(RULES_ROOT, rule.file.replace(/\.ya?ml$/, '.tests.json'));
}

function readTests(rule: SigmaRule): RuleTests {
  return JSON.parse(readFileSync(testsPath(rule), 'utf8')) as RuleTests;
}

/** Runs records through a fresh rule set and returns the ids of every rule that fired. */
function firedRuleIds(records: RawRecord[], label: string): Set<string> {
  const ruleSet = new RuleSet(rules);
  const fired = new Set<string>();
  records.forEach((raw, index) => {
    for (const match of ruleSet.match(cloudTrailEvent(raw, label, index))) fired.add(match.rule_id);
  });
  for (const hit of ruleSet.finish()) fired.add(hit.rule_id);
  return fired;
}

/** Runs events through one rule set and returns the rule ids that each event uid contributed to. */
function firedByEvent(events: Event[]): Map<string, Set<string>> {
  const ruleSet = new RuleSet(rules);
  const byEvent = new Map<string, Set<string>>();
  const add = (uid: string, ruleId: string) => {
    const ids = byEvent.get(uid) ?? new Set<string>();
    ids.add(ruleId);
    byEvent.set(uid, ids);
  };
  for (const event of events) {
    for (const match of ruleSet.match(event)) add(match.event_uid, match.rule_id);
  }
  for (const hit of ruleSet.finish()) {
    for (const uid of hit.event_uids) add(uid, hit.rule_id);
  }
  return byEvent;
}

function levelOf(ruleId: string): string {
  return rules.find((rule) => rule.id === ruleId)?.level ?? 'unknown';
}

function readJsonLines(path: string): RawRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RawRecord);
}

function readRecords(path: string): RawRecord[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { Records: RawRecord[] }).Records;
}

/** Reads eventID → label (`malicious`, `benign`, `context`) from the OTRF labels file. */
function readLabels(): Map<string, string> {
  const labels = new Map<string, string>();
  const lines = readFileSync(join(OTRF, 'labels.csv'), 'utf8').trim().split('\n').slice(1);
  for (const line of lines) {
    const label = /,(malicious|benign|context),/.exec(line)?.[1];
    const eventId = line.split(',')[1];
    if (label !== undefined && eventId !== undefined) labels.set(eventId, label);
  }
  return labels;
}

beforeAll(async () => {
  const loaded = await loadRules([RULES_ROOT]);
  rules = loaded.rules;
  packRules = standaloneRules(rules);
  errors = loaded.issues
    .filter((issue) => issue.severity === 'error')
    .map((issue) => `${issue.file}:${issue.line ?? '?'} ${issue.code} ${issue.message}`);
});

describe('AWS rule pack', () => {
  it('loads without errors', () => {
    expect(errors).toEqual([]);
  });

  it('has at least 32 rules', () => {
    expect(packRules.length).toBeGreaterThanOrEqual(32);
  });

  it('has unique rule ids', () => {
    const ids = rules.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('tags every rule with a tactic and a technique', () => {
    const untagged = packRules
      .filter((rule) => {
        const tags = rule.tags.map((tag) => tag.toLowerCase());
        const technique = tags.some((tag) => /^attack\.t\d{4}(\.\d{3})?$/.test(tag));
        const tactic = tags.some((tag) => /^attack\.[a-z][a-z-]+$/.test(tag));
        return !technique || !tactic;
      })
      .map((rule) => rule.file);
    expect(untagged).toEqual([]);
  });

  it('uses no retired tactic names', () => {
    const retired = packRules.filter((rule) => rule.tags.includes('attack.defense-evasion'));
    expect(retired.map((rule) => rule.file)).toEqual([]);
  });

  it('fills the header of every rule', () => {
    for (const rule of packRules) {
      expect(rule.derivedId, rule.file).toBe(false);
      expect(rule.status, rule.file).toBe('experimental');
      expect(rule.author, rule.file).toBe('cloudcase');
      expect(rule.description.length, rule.file).toBeGreaterThan(40);
      expect(rule.falsepositives.length, rule.file).toBeGreaterThan(0);
    }
  });

  it('has match and nomatch events per rule', () => {
    for (const rule of packRules) {
      expect(existsSync(testsPath(rule)), rule.file).toBe(true);
      const tests = readTests(rule);
      expect(tests.match.length, `${rule.file} match`).toBeGreaterThan(0);
      expect(tests.nomatch.length, `${rule.file} nomatch`).toBeGreaterThan(0);
    }
  });

  it('fires every rule on its match events', () => {
    const missed: string[] = [];
    for (const rule of packRules) {
      const fired = firedRuleIds(readTests(rule).match, `${rule.file}#match`);
      if (!fired.has(rule.id)) missed.push(rule.file);
    }
    expect(missed).toEqual([]);
  });

  it('keeps every rule quiet on its nomatch events', () => {
    const noisy: string[] = [];
    for (const rule of packRules) {
      const fired = firedRuleIds(readTests(rule).nomatch, `${rule.file}#nomatch`);
      if (fired.has(rule.id)) noisy.push(rule.file);
    }
    expect(noisy).toEqual([]);
  });
});

describe('AWS rule pack on stolen EC2 instance credentials', () => {
  const labels = readLabels();
  const inputs = [
    {
      name: 'shipper-shaped records',
      records: () => readJsonLines(join(OTRF, 'ec2_proxy_s3_exfiltration_2020-09-14011940.json')),
    },
    {
      name: 'CloudTrail envelope',
      records: () => readRecords(join(OTRF, 'derived_cloudtrail_records.json')),
    },
  ];

  for (const input of inputs) {
    it(`detects every malicious event in ${input.name}`, () => {
      const records = input.records();
      const events = records.map((raw, index) => cloudTrailEvent(raw, input.name, index));
      const fired = firedByEvent(events);

      const malicious = events.filter(
        (event) => labels.get(String(event.raw.eventID)) === 'malicious',
      );
      expect(malicious.length).toBe(11);
      const missed = malicious.filter((event) => {
        const ids = [...(fired.get(event.uid) ?? [])];
        return !ids.some((id) => SERIOUS.has(levelOf(id)));
      });
      expect(missed.map((event) => event.raw.eventID)).toEqual([]);
    });

    it(`raises nothing serious on benign events in ${input.name}`, () => {
      const records = input.records();
      const events = records.map((raw, index) => cloudTrailEvent(raw, input.name, index));
      const fired = firedByEvent(events);

      const quiet = events.filter((event) => labels.get(String(event.raw.eventID)) !== 'malicious');
      expect(quiet.length).toBeGreaterThan(80);
      const noisy = quiet.flatMap((event) =>
        [...(fired.get(event.uid) ?? [])]
          .filter((id) => SERIOUS.has(levelOf(id)))
          .map((id) => `${String(event.raw.eventName)} ${id}`),
      );
      expect(noisy).toEqual([]);
    });
  }
});

describe('AWS rule pack on compromised root credentials', () => {
  it('flags every root action from the attacker address', () => {
    const records = readRecords(join(PANTHER_ROOT, 'attacker_cloudtrail.json'));
    const events = records.map((raw, index) => cloudTrailEvent(raw, 'panther-attacker', index));
    const fired = firedByEvent(events);
    const rootRule = packRules.find((rule) => rule.title === 'AWS Root User Activity');
    expect(rootRule).toBeDefined();

    const attackerRoot = events.filter((event) => {
      const identity = event.raw.userIdentity as RawRecord;
      return identity.type === 'Root' && event.raw.sourceIPAddress === PANTHER_ATTACKER_IP;
    });
    expect(attackerRoot.length).toBe(11);
    const missed = attackerRoot.filter((event) => !fired.get(event.uid)?.has(rootRule!.id));
    expect(missed.map((event) => event.raw.eventName)).toEqual([]);
  });

  it('flags trail stop, backdoor key, GPU launch', () => {
    const records = readRecords(join(PANTHER_ROOT, 'attacker_cloudtrail.json'));
    const events = records.map((raw, index) => cloudTrailEvent(raw, 'panther-attacker', index));
    const fired = firedByEvent(events);
    const titlesOf = (eventName: string) =>
      events
        .filter((event) => event.raw.eventName === eventName)
        .flatMap((event) => [...(fired.get(event.uid) ?? [])])
        .map((id) => rules.find((rule) => rule.id === id)?.title);

    expect(titlesOf('StopLogging')).toContain('AWS CloudTrail Trail Stopped Or Deleted');
    expect(titlesOf('CreateAccessKey')).toContain('AWS IAM Access Key Created For Another User');
    expect(titlesOf('RunInstances')).toContain('AWS GPU Or Accelerator Instances Launched');
  });
});
