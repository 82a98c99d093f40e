import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

const GOOD_RULE = `title: Caller identity checked
id: 6f1c2a52-7d0e-4a8b-9a51-2f7b1e0c9d11
status: test
level: low
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: GetCallerIdentity
  condition: selection
`;

const BROKEN_RULE = `title: Broken condition
id: 0b7f5d3e-1c2a-4e6f-8a9b-3c4d5e6f7a8b
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: GetCallerIdentity
  condition: selection and missing_identifier
`;

const EVENT = {
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
  eventTime: '2024-03-01T10:00:00Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'GetCallerIdentity',
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.10',
  eventID: '00000000-0000-4000-8000-000000000001',
  recipientAccountId: '111122223333',
};

describe('investigate with a folder of user rules', () => {
  it('matches the rules that load and reports the ones that do not', async () => {
    const dir = await tempDir();
    const rules = path.join(dir, 'rules');
    await mkdir(rules);
    await writeFile(path.join(rules, 'good.yml'), GOOD_RULE);
    await writeFile(path.join(rules, 'broken.yml'), BROKEN_RULE);
    await writeFile(
      path.join(rules, 'z-copy.yml'),
      GOOD_RULE.replace('title: Caller', 'title: Copied'),
    );
    const logs = path.join(dir, 'trail.json');
    await writeFile(logs, JSON.stringify({ Records: [EVENT] }));

    const run = await runCli([
      'investigate',
      logs,
      '--case',
      path.join(dir, 'case'),
      '--rules',
      rules,
      '--no-builtin-rules',
      '--json',
    ]);
    const summary = JSON.parse(run.stdout);

    expect(summary.rules.loaded).toBe(1);
    expect(summary.rules.problems).toEqual([
      expect.objectContaining({ file: 'broken.yml', code: 'unknown_identifier', line: 9 }),
      expect.objectContaining({ file: 'z-copy.yml', code: 'duplicate_id' }),
    ]);
    expect(summary.detections.events_matched).toBe(1);
  });
});
