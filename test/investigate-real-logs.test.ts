import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

interface Finding {
  rule_id: string;
  title: string;
  severity: string;
  event_uids: string[];
}

interface TimelineEvent {
  uid: string;
  time: string;
  actor: { uid: string | null; name: string | null; access_key: string | null };
  src: { ip: string | null };
  raw: Record<string, unknown>;
}

async function investigate(inputs: string[]) {
  const caseDir = path.join(await tempDir(), 'case');
  const run = await runCli(['investigate', ...inputs, '--case', caseDir, '--json']);
  const timeline = await runCli(['timeline', '--case', caseDir, '--format', 'jsonl']);
  const events = timeline.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as TimelineEvent);
  const findings = JSON.parse(
    await readFile(path.join(caseDir, 'reports/findings.json'), 'utf8'),
  ) as Finding[];

  return { caseDir, run, summary: JSON.parse(run.stdout), events, findings };
}

function detectedEventIds(findings: Finding[], events: TimelineEvent[]): Set<string> {
  const uids = new Set(findings.flatMap((f) => f.event_uids));
  return new Set(events.filter((e) => uids.has(e.uid)).map((e) => String(e.raw.eventID)));
}

describe('OTRF EC2 proxy S3 exfiltration', () => {
  const folder = path.join(SHARED_DATA, 'logs/otrf-aws-ec2-proxy-s3-exfiltration');
  const shipper = path.join(folder, 'ec2_proxy_s3_exfiltration_2020-09-14011940.json');
  const records = path.join(folder, 'derived_cloudtrail_records.json');
  let result: Awaited<ReturnType<typeof investigate>>;
  let malicious: string[];

  beforeAll(async () => {
    result = await investigate([shipper, records]);
    const labels = await readFile(path.join(folder, 'labels.csv'), 'utf8');
    malicious = labels
      .split('\n')
      .filter((line) => line.includes(',malicious,'))
      .map((line) => line.split(',')[1] ?? '');
  }, 120_000);

  it('ingests all 103 events of each file', () => {
    expect(result.run.code).toBe(0);
    expect(result.summary.records).toEqual({ read: 206, stored: 206, rejected: 0 });
  });

  it('detects every malicious event', () => {
    const detected = detectedEventIds(result.findings, result.events);
    expect(malicious.length).toBe(11);
    for (const id of malicious) expect(detected, id).toContain(id);
  });

  it('leads the attack timeline with the stolen role', async () => {
    const report = await readFile(path.join(result.caseDir, 'reports/report.md'), 'utf8');
    const section = report.slice(report.indexOf('## Attack timeline'));
    const firstRow = section.split('\n').find((line) => /^\|\s*20\d\d-/.test(line));
    expect(firstRow).toContain('BankingWAFRole');
  });

  it('selects the calls that EC2 made by its service name', async () => {
    const run = await runCli([
      'timeline',
      '--case',
      result.caseDir,
      '--ip',
      'ec2.amazonaws.com',
      '--format',
      'jsonl',
    ]);
    const lines = run.stdout.split('\n').filter((line) => line.length > 0);
    const sources = lines.map((line) => (JSON.parse(line) as { src: unknown }).src);

    // Each file contains the same 5 such calls. The second file's copies are set aside as
    // duplicates, so the timeline shows each call once.
    expect(run.code).toBe(0);
    expect(sources.length).toBe(5);
    for (const src of sources) {
      expect(src).toMatchObject({ ip: null, domain: 'ec2.amazonaws.com' });
    }
  });
});

describe('plaso lookup-events sample', () => {
  it('normalizes all six events', async () => {
    const file = path.join(
      SHARED_DATA,
      'logs/plaso-cloud-test-data/test_data/aws_cloudtrail.jsonl',
    );
    const { run, events } = await investigate([file]);
    expect(run.code).toBe(0);
    expect(events.map((e) => e.time)).toEqual([
      '2022-02-07T22:19:04.000Z',
      '2022-02-07T22:19:05.000Z',
      '2022-02-07T22:19:07.000Z',
      '2022-02-07T22:23:03.000Z',
      '2022-02-07T22:23:18.000Z',
      '2022-02-07T22:23:37.000Z',
    ]);
    const user = events.filter((e) => e.actor.name === 'fakeusername');
    expect(user.length).toBe(5);
    for (const event of user) {
      expect(event.actor.access_key).toBe('0123456789ABCDEFGHIJ');
      expect(event.src.ip).toBe('1.2.3.4');
    }
  }, 60_000);
});

describe('Panther compromised root credentials', () => {
  it('detects root activity from the attacker address', async () => {
    const folder = path.join(
      SHARED_DATA,
      'logs/panther-test-scenarios/compromised-root-creds/native',
    );
    const { events, findings } = await investigate([
      path.join(folder, 'attacker_cloudtrail.json'),
      path.join(folder, 'victim_cloudtrail.json'),
    ]);
    const detected = new Set(findings.flatMap((f) => f.event_uids));
    const rootFromAttacker = events.filter(
      (e) =>
        e.src.ip === '92.55.146.245' && (e.raw.userIdentity as { type?: string }).type === 'Root',
    );
    expect(rootFromAttacker.length).toBeGreaterThan(10);
    for (const event of rootFromAttacker)
      expect(detected, String(event.raw.eventName)).toContain(event.uid);
  }, 60_000);
});
