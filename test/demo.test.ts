import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/logger.ts';
import { generateScenario, type ScenarioResult } from '../src/demo/index.ts';
import { runInvestigate } from '../src/pipeline/investigate.ts';
import { runCli, tempDir } from './support/cli.ts';

interface Finding {
  rule_id: string;
  title: string;
  severity: string;
  event_uids: string[];
}

interface TimelineEvent {
  uid: string;
  raw: Record<string, unknown>;
}

let work: string;
let scenario: ScenarioResult;
let findings: Finding[];
let rawByUid: Map<string, Record<string, unknown>>;

beforeAll(async () => {
  work = await tempDir('cloudcase-demo-');
  const logs = path.join(work, 'logs');
  const caseDir = path.join(work, 'case');
  scenario = await generateScenario(logs, { scale: 0.2 });
  await runInvestigate({ paths: [logs], caseDir, logger: silentLogger() });

  findings = JSON.parse(await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8'));
  const timeline = await runCli(['timeline', '--case', caseDir, '--format', 'jsonl']);
  rawByUid = new Map();
  for (const line of timeline.stdout.split('\n')) {
    if (line.length === 0) continue;
    const event = JSON.parse(line) as TimelineEvent;
    rawByUid.set(event.uid, event.raw);
  }
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function detectedEventIds(selected: Finding[]): Set<string> {
  const ids = new Set<string>();
  for (const finding of selected) {
    for (const uid of finding.event_uids) {
      const raw = rawByUid.get(uid);
      if (raw !== undefined) ids.add(String(raw.eventID));
    }
  }
  return ids;
}

function isSevere(finding: Finding): boolean {
  return finding.severity === 'high' || finding.severity === 'critical';
}

describe('demo scenario investigation', () => {
  it('stores every generated record', () => {
    expect(rawByUid.size).toBe(scenario.records.total);
  });

  const tactics = [
    'initial-access',
    'discovery',
    'persistence',
    'privilege-escalation',
    'defense-impairment',
    'credential-access',
    'collection',
    'exfiltration',
    'impact',
  ];
  for (const tactic of tactics) {
    it(`detects the ${tactic} step`, () => {
      const step = scenario.attackSteps.find((s) => s.tactic === tactic);
      expect(step, tactic).toBeDefined();
      const detected = detectedEventIds(findings);
      const hits = step!.eventIds.filter((id) => detected.has(id));

      expect(hits.length, `${step!.step}: no finding covers its events`).toBeGreaterThan(0);
    });
  }

  it('raises no severe finding on benign events', () => {
    const benign = new Set(scenario.benignEventIds);
    for (const finding of findings.filter(isSevere)) {
      const flagged = [...detectedEventIds([finding])].filter((id) => benign.has(id));
      expect(flagged, `${finding.title} flags benign events`).toEqual([]);
    }
  });

  it('names no benign actor in a severe finding', () => {
    const actors = new Set(scenario.benignActors);
    for (const finding of findings.filter(isSevere)) {
      for (const uid of finding.event_uids) {
        const identity = (rawByUid.get(uid)?.userIdentity ?? {}) as Record<string, unknown>;
        const actor = String(identity.arn ?? identity.invokedBy ?? '');
        expect(actors.has(actor), `${finding.title} names ${actor}`).toBe(false);
      }
    }
  });
});
