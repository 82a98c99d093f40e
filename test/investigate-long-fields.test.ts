import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli, tempDir } from './support/cli.ts';

const COUNT = 40;
const agent = (index: number) => `agent-${index} ${'y'.repeat(20_000)} tail-${index}`;
// The actor of record 3, longer than a column keeps, which keeps its first 16,256 characters.
const LONG_ARN = `arn:aws:iam::111122223333:user/${'z'.repeat(20_000)}-past-cut`;

const RULE = `title: User agent with a tail
id: 5d0f3f7a-2b7e-4b61-9d1e-3c0f6a1f0001
status: test
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    userAgent|endswith: ' tail-7'
  condition: selection
level: low
`;

interface TimelineEvent {
  user_agent: string;
  raw: { userAgent: string };
  evidence: { record: number };
}

describe('investigate on fields longer than a column keeps', () => {
  let caseDir: string;
  let dir: string;
  let investigate: CliRun;

  beforeAll(async () => {
    dir = await tempDir();
    caseDir = path.join(dir, 'case');
    const lines = Array.from({ length: COUNT }, (_, index) =>
      JSON.stringify({
        eventVersion: '1.08',
        userIdentity: {
          type: 'IAMUser',
          arn: index === 3 ? LONG_ARN : 'arn:aws:iam::111122223333:user/alice',
        },
        eventTime: `2024-03-01T10:00:${String(index).padStart(2, '0')}Z`,
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetCallerIdentity',
        awsRegion: 'us-east-1',
        sourceIPAddress: '203.0.113.10',
        userAgent: agent(index),
        eventID: `long-agent-${index}`,
        recipientAccountId: '111122223333',
      }),
    );
    const input = path.join(dir, 'agents.jsonl');
    await writeFile(input, `${lines.join('\n')}\n`);
    investigate = await runCli(['investigate', input, '--case', caseDir, '--json']);
  }, 60_000);

  it('stores every record', () => {
    expect(investigate.code, investigate.stderr).toBe(0);
    expect(JSON.parse(investigate.stdout).records).toMatchObject({ read: COUNT, stored: COUNT });
  });

  it('shortens the column and keeps the record whole', async () => {
    const timeline = await runCli(['timeline', '--case', caseDir, '-f', 'jsonl']);
    const events = timeline.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TimelineEvent);

    expect(events).toHaveLength(COUNT);
    for (const event of events) {
      const whole = agent(event.evidence.record);
      expect(event.raw.userAgent).toBe(whole);
      expect(event.user_agent.startsWith(whole.slice(0, 16_000))).toBe(true);
      expect(event.user_agent).toMatch(
        new RegExp(`…\\(${whole.length} characters, SHA-256 [0-9a-f]{64}\\)$`),
      );
    }
  });

  it('hunts the whole field', async () => {
    const rule = path.join(dir, 'tail.yml');
    await writeFile(rule, RULE);

    const hunt = await runCli(['hunt', '--case', caseDir, '-r', rule, '--json']);

    expect(hunt.code, hunt.stderr).toBe(0);
    expect(JSON.parse(hunt.stdout).rules[0]).toMatchObject({ matches: 1 });
  });

  it('finds a whole actor longer than a column keeps', async () => {
    const timeline = await runCli([
      'timeline',
      '--case',
      caseDir,
      '--actor',
      LONG_ARN,
      '-f',
      'jsonl',
    ]);
    const scope = await runCli([
      'scope',
      '--case',
      caseDir,
      '--identity',
      LONG_ARN,
      '--all',
      '--json',
    ]);

    expect(timeline.code, timeline.stderr).toBe(0);
    const events = timeline.stdout.trim().split('\n');
    expect(events).toHaveLength(1);
    expect((JSON.parse(events[0] ?? '{}') as TimelineEvent).evidence.record).toBe(3);
    expect(scope.code, scope.stderr).toBe(0);
    expect(JSON.parse(scope.stdout)).toMatchObject({ events: 1 });
  });

  it('finds actor text past the start a column keeps', async () => {
    const timeline = await runCli(['timeline', '--case', caseDir, '--actor', 'Z-PAST-CUT']);

    expect(timeline.code, timeline.stderr).toBe(0);
    expect(timeline.stdout.trim().split('\n')).toHaveLength(2);
    expect(timeline.stdout).toContain('zzzz');
  });
});
