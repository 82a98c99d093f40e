import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseDb } from '../src/store/index.ts';
import { runCli, SHARED_DATA, tempDir } from './support/cli.ts';

function event(id: number): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
    eventTime: `2024-03-01T10:00:0${id}Z`,
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateAccessKey',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    eventID: `00000000-0000-4000-8000-00000000000${id}`,
    recipientAccountId: '111122223333',
  };
}

describe('one CloudTrail event read from two files', () => {
  it('keeps one copy on the timeline and the other set aside', async () => {
    const dir = await tempDir();
    const caseDir = path.join(dir, 'case');
    // The S3 delivery file holds events 1 and 2; a lookup-events export repeats event 2.
    const delivery = path.join(dir, 'delivery.json');
    await writeFile(delivery, JSON.stringify({ Records: [event(1), event(2)] }));
    const lookup = path.join(dir, 'lookup.json');
    const exported = { EventId: event(2).eventID, CloudTrailEvent: JSON.stringify(event(2)) };
    await writeFile(lookup, JSON.stringify({ Events: [exported] }));

    const run = await runCli(['investigate', delivery, lookup, '--case', caseDir, '--json']);
    const summary = JSON.parse(run.stdout);
    expect(summary.records).toEqual({ read: 3, stored: 3, rejected: 0 });
    expect(summary.duplicates).toBe(1);
    expect(summary.detections.events_matched).toBeGreaterThan(0);

    const timeline = await runCli(['timeline', '--case', caseDir, '-f', 'jsonl']);
    const ids = timeline.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).raw.eventID);
    expect(ids).toEqual([event(1).eventID, event(2).eventID]);

    // Both copies stay in the case, so the second can still be traced to its file.
    const db = await CaseDb.openReadOnly(caseDir);
    try {
      const connection = await db.connect();
      const reader = await connection.runAndReadAll(
        'SELECT count(*) FROM duplicate_events d JOIN events e ON d.duplicate_of = e.uid',
      );
      expect(Number(reader.getRowsJS()[0]?.[0])).toBe(1);
      // The summary counts the matches stored, without those of the copy set aside.
      const matches = await connection.runAndReadAll(
        'SELECT count(*) FROM detections WHERE hit_id IS NULL',
      );
      expect(Number(matches.getRowsJS()[0]?.[0])).toBe(summary.detections.events_matched);
      connection.closeSync();
    } finally {
      await db.close();
    }

    const rerun = await runCli(['investigate', delivery, lookup, '--case', caseDir, '--json']);
    expect(rerun.stderr).toBe('');
    const again = JSON.parse(rerun.stdout);
    expect(again.records.stored).toBe(0);
    expect(again.duplicates).toBe(0);
  });
});

describe('Azure and Microsoft 365 exports read twice', () => {
  it('count each record once across the json and Zip copies', async () => {
    const caseDir = path.join(await tempDir(), 'case');
    const folder = path.join(SHARED_DATA, 'logs/otrf-goldensaml-adfs-mail-access');

    const run = await runCli(['investigate', folder, '--case', caseDir, '--json']);
    // The folder also contains Windows and Defender exports, which are rejected as unknown formats.
    expect(run.code).toBe(3);
    const summary = JSON.parse(run.stdout);
    // Each of the 4 Entra audit rows and the 1 OfficeActivity row is read from both copies.
    // Two audit rows are one record (one Id) that the export split in two.
    expect(summary.duplicates).toBe(6);

    const timeline = await runCli(['timeline', '--case', caseDir, '-f', 'jsonl']);
    const events = timeline.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { source: string; metadata_uid?: string });
    expect(events.map((event) => event.source).sort()).toEqual([
      'azure.audit',
      'azure.audit',
      'azure.audit',
      'm365.audit',
    ]);
  });
});

describe('records that reuse an id', () => {
  it('keeps both when the actor and address differ', async () => {
    const dir = await tempDir();
    const caseDir = path.join(dir, 'case');
    const call = { ...event(3), eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' };
    const first = path.join(dir, 'first.jsonl');
    await writeFile(first, `${JSON.stringify(call)}\n`);
    const second = path.join(dir, 'second.jsonl');
    const attacker = {
      ...call,
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/mallory' },
      sourceIPAddress: '198.51.100.66',
    };
    await writeFile(second, `${JSON.stringify(attacker)}\n`);

    const run = await runCli(['investigate', first, second, '--case', caseDir, '--json']);
    const summary = JSON.parse(run.stdout);
    expect(summary.duplicates).toBe(0);

    const timeline = await runCli(['timeline', '--case', caseDir, '-f', 'jsonl']);
    const addresses = timeline.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).src.ip);
    expect(addresses.sort()).toEqual(['198.51.100.66', '203.0.113.10']);
  });

  it('keeps the root logins of the Panther test events', async () => {
    const dir = await tempDir();
    const caseDir = path.join(dir, 'case');
    // Each line of the Panther file is one rule test; its `log` is the CloudTrail record. Many
    // tests reuse an eventID and a time for different calls.
    const tests = await readFile(
      path.join(
        SHARED_DATA,
        'logs/panther-analysis-rule-tests/tests_by_logtype/AWS.CloudTrail.jsonl',
      ),
      'utf8',
    );
    const records = tests
      .trim()
      .split('\n')
      .map((line) => JSON.stringify((JSON.parse(line) as { log: unknown }).log));
    const file = path.join(dir, 'cloudtrail.jsonl');
    await writeFile(file, `${records.join('\n')}\n`);

    await runCli(['investigate', file, '--case', caseDir, '--json']);
    const timeline = await runCli([
      'timeline',
      '--case',
      caseDir,
      '--operation',
      'ConsoleLogin',
      '-f',
      'jsonl',
    ]);
    const rootLogins = timeline.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { actor: { type: string } })
      .filter((login) => login.actor.type === 'Root');
    expect(rootLogins.length).toBeGreaterThan(0);
  });
});
