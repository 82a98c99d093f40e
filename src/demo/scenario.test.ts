import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario, type ScenarioResult } from './scenario.ts';

const LAYOUT =
  /^AWSLogs\/111122223333\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/111122223333_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$/;

const REQUIRED = [
  'eventVersion',
  'userIdentity',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'requestID',
  'eventID',
  'readOnly',
  'eventType',
  'managementEvent',
  'recipientAccountId',
  'eventCategory',
];

type Rec = Record<string, unknown>;

let dirs: string[] = [];
let result: ScenarioResult;
let byFile: Map<string, Rec[]>;

async function generate(seed: number): Promise<{ dir: string; result: ScenarioResult }> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudcase-scenario-'));
  dirs.push(dir);
  return { dir, result: await generateScenario(dir, { seed, days: 2, scale: 0.3 }) };
}

async function digest(files: { path: string }[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) hash.update(await readFile(file.path));
  return hash.digest('hex');
}

beforeAll(async () => {
  ({ result } = await generate(7));
  byFile = new Map();
  for (const file of result.files) {
    const parsed = JSON.parse(gunzipSync(await readFile(file.path)).toString('utf8'));
    byFile.set(file.path, parsed.Records);
  }
});

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs = [];
});

describe('generateScenario', () => {
  it('writes the same bytes for the same seed', async () => {
    const again = await generate(7);
    const other = await generate(8);
    const relativePaths = (r: ScenarioResult) => r.files.map((f) => relative(r.outDir, f.path));

    expect(relativePaths(again.result)).toEqual(relativePaths(result));
    expect(await digest(again.result.files)).toBe(await digest(result.files));
    expect(await digest(other.result.files)).not.toBe(await digest(result.files));
  });

  it('follows the CloudTrail delivery layout', () => {
    for (const file of result.files) {
      const path = relative(result.outDir, file.path).split('\\').join('/');
      const match = LAYOUT.exec(path);
      expect(match, path).not.toBeNull();
      const [, region, yyyy, mm, dd, nameRegion, stamp] = match!;
      expect(nameRegion).toBe(region);
      expect(stamp!.slice(0, 8)).toBe(`${yyyy}${mm}${dd}`);
      expect(file.region).toBe(region);
    }
  });

  it('writes gzip JSON with a Records array', () => {
    expect(result.files.length).toBeGreaterThan(10);
    for (const file of result.files) {
      const records = byFile.get(file.path)!;
      expect(Array.isArray(records)).toBe(true);
      expect(records.length).toBe(file.records);
    }
  });

  it('gives every record the required fields', () => {
    const ids = new Set<string>();
    for (const records of byFile.values()) {
      for (const record of records) {
        for (const field of REQUIRED)
          expect(record, `${field} in ${record.eventID}`).toHaveProperty(field);
        expect(record.eventID).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        expect(record.recipientAccountId).toBe('111122223333');
        ids.add(String(record.eventID));
      }
    }
    expect(ids.size).toBe(result.records.total);
  });

  it('keeps times inside the window and sorted per file', () => {
    const start = Date.parse(result.window.start);
    const end = Date.parse(result.window.end);
    for (const [path, records] of byFile) {
      const times = records.map((r) => Date.parse(String(r.eventTime)));
      for (const time of times) {
        expect(time).toBeGreaterThanOrEqual(start);
        expect(time).toBeLessThan(end);
      }
      expect(times, path).toEqual([...times].sort((a, b) => a - b));
      for (const record of records) expect(record.awsRegion).toBe(byFile.get(path)![0]!.awsRegion);
    }
  });

  it('lists every attack step with its event ids', () => {
    const byId = new Map<string, Rec>();
    for (const records of byFile.values()) for (const r of records) byId.set(String(r.eventID), r);
    const tactics = result.attackSteps.map((step) => step.tactic);

    expect(tactics).toEqual([
      'initial-access',
      'discovery',
      'persistence',
      'privilege-escalation',
      'defense-impairment',
      'credential-access',
      'collection',
      'exfiltration',
      'impact',
    ]);
    for (const step of result.attackSteps) {
      expect(step.eventIds.length, step.step).toBeGreaterThan(0);
      for (const id of step.eventIds) {
        const record = byId.get(id);
        expect(record, id).toBeDefined();
        expect(result.attackerIps).toContain(record!.sourceIPAddress);
      }
    }
    expect(result.records.attack).toBe(
      result.attackSteps.reduce((sum, step) => sum + step.eventIds.length, 0),
    );
  });

  it('records the key attack calls', () => {
    const names = new Map<string, Rec>();
    for (const records of byFile.values())
      for (const r of records) names.set(String(r.eventName), r);
    for (const name of [
      'GetAccountAuthorizationDetails',
      'CreateUser',
      'CreateAccessKey',
      'CreateLoginProfile',
      'AttachUserPolicy',
      'StopLogging',
      'DeleteFlowLogs',
      'DeleteDetector',
      'GetSecretValue',
      'PutBucketPolicy',
      'ModifySnapshotAttribute',
      'RunInstances',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    const attach = [...byFile.values()].flat().find((r) => r.eventName === 'AttachUserPolicy')!;
    expect(attach.requestParameters).toMatchObject({
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });
  });

  it('keeps attacker addresses out of benign records', () => {
    const benign = new Set(result.benignEventIds);
    for (const records of byFile.values()) {
      for (const record of records) {
        if (!benign.has(String(record.eventID))) continue;
        expect(result.attackerIps).not.toContain(record.sourceIPAddress);
      }
    }
  });

  it('lists benign actors apart from the compromised one', () => {
    expect(result.benignActors).toContain('arn:aws:iam::111122223333:user/alice.moreau');
    expect(result.benignActors).not.toContain('arn:aws:iam::111122223333:user/dana.kim');
    expect(result.benignActors).not.toContain('arn:aws:iam::111122223333:user/svc-backup-sync');
    expect(result.compromisedActors).toEqual(['arn:aws:iam::111122223333:user/dana.kim']);
  });

  it('rejects an invalid start date', async () => {
    await expect(
      generateScenario(join(tmpdir(), 'unused'), { start: 'yesterday' }),
    ).rejects.toThrow(/invalid start date/);
  });
});
