import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { type CliRun, runCli, tempDir } from './support/cli.ts';

// Two members whose names share their first 3,000 characters, and one with an ordinary name.
const COMMON = `${'AWSLogs/111122223333/CloudTrail/us-east-1/'.repeat(70)}`.slice(0, 3_000);
const LONG_A = `${COMMON}/a.jsonl`;
const LONG_B = `${COMMON}/b.jsonl`;
const SHORT = 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/c.jsonl';
const PER_MEMBER = 300;

function lines(tag: string): string {
  const records = [];
  for (let i = 0; i < PER_MEMBER; i++) {
    records.push(
      JSON.stringify({
        eventVersion: '1.08',
        userIdentity: {
          type: 'IAMUser',
          arn: 'arn:aws:iam::111122223333:user/alice',
          accountId: '111122223333',
          userName: 'alice',
        },
        eventTime: `2024-03-01T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        awsRegion: 'us-east-1',
        sourceIPAddress: '203.0.113.10',
        requestParameters: { bucketName: 'data', key: `${tag}/${i}` },
        eventID: `${tag}-${i}`,
        eventType: 'AwsApiCall',
        recipientAccountId: '111122223333',
      }),
    );
  }
  return `${records.join('\n')}\n`;
}

async function zipOf(entries: [string, string][]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of entries) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface TimelineEvent {
  uid: string;
  evidence: { member: string | null; record: number };
  api: { operation: string };
}

describe('investigate on zip members with very long names', () => {
  let caseDir: string;
  let investigate: CliRun;
  let events: TimelineEvent[];

  beforeAll(async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'long-names.zip');
    caseDir = path.join(dir, 'case');
    await writeFile(
      input,
      await zipOf([
        [LONG_A, lines('a')],
        [LONG_B, lines('b')],
        [SHORT, lines('c')],
      ]),
    );
    investigate = await runCli(['investigate', input, '--case', caseDir, '--json']);
    const timeline = await runCli(['timeline', '--case', caseDir, '-f', 'jsonl']);
    events = timeline.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TimelineEvent);
  }, 120_000);

  it('stores every record', () => {
    expect(investigate.code, investigate.stderr).toBe(0);
    const summary = JSON.parse(investigate.stdout) as { records: Record<string, number> };
    expect(summary.records).toMatchObject({ read: 900, stored: 900, rejected: 0 });
    expect(events).toHaveLength(900);
  });

  it('shortens long names with their digest', () => {
    const members = [...new Set(events.map((event) => event.evidence.member))].sort();
    const digest = (name: string) => createHash('sha256').update(name).digest('hex');

    expect(members).toHaveLength(3);
    expect(members).toContain(SHORT);
    for (const name of [LONG_A, LONG_B]) {
      const recorded = members.find((member) => member?.includes(digest(name)));
      expect(recorded?.startsWith(COMMON.slice(0, 512))).toBe(true);
      expect(recorded?.length).toBeLessThan(700);
    }
  });

  it('keeps the uids short and distinct', () => {
    const uids = new Set(events.map((event) => event.uid));

    expect(uids.size).toBe(900);
    for (const uid of uids) expect(uid.length).toBeLessThan(100);
    expect(events.filter((event) => event.evidence.member === SHORT)[0]?.uid).toContain(SHORT);
  });

  it('verifies the case against its evidence', async () => {
    const verify = await runCli(['verify', '--case', caseDir]);

    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});

describe('investigate on zip members named after the recorded names of others', () => {
  it('stores the records of every member under uids of their own', async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'lookalikes.zip');
    const caseDir = path.join(dir, 'case');
    const recorded = `${LONG_A.slice(0, 512)}…(${LONG_A.length} characters, SHA-256 ${createHash('sha256').update(LONG_A).digest('hex')})`;
    const uidDigest = createHash('sha256').update(recorded).digest('hex').slice(0, 32);
    await writeFile(
      input,
      await zipOf([
        [LONG_A, lines('a')],
        [recorded, lines('b')],
        [`~${uidDigest}`, lines('c')],
      ]),
    );

    const investigate = await runCli(['investigate', input, '--case', caseDir, '--json']);
    const timeline = await runCli(['timeline', '--case', caseDir, '-f', 'jsonl']);
    const events = timeline.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TimelineEvent);

    expect(investigate.code, investigate.stderr).toBe(0);
    const summary = JSON.parse(investigate.stdout) as { records: Record<string, number> };
    expect(summary.records).toMatchObject({ read: 900, stored: 900, rejected: 0 });
    expect(new Set(events.map((event) => event.evidence.member)).size).toBe(3);
    expect(new Set(events.map((event) => event.uid)).size).toBe(900);
  }, 120_000);
});
