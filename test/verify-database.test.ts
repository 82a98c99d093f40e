import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

let work: string;
let investigated: string;
let attackFile: string;

function trail(records: Record<string, unknown>[]): string {
  return JSON.stringify({ Records: records });
}

function call(eventID: string, eventName: string, sourceIPAddress: string) {
  return {
    eventVersion: '1.08',
    eventTime: `2024-03-01T10:00:0${eventID.slice(-1)}Z`,
    eventSource: 'iam.amazonaws.com',
    eventName,
    eventID,
    sourceIPAddress,
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
  };
}

beforeAll(async () => {
  work = await tempDir('cloudcase-verify-db-');
  investigated = path.join(work, 'case');
  attackFile = path.join(work, 'attack.json');
  const routine = path.join(work, 'routine.json');
  await writeFile(routine, trail([call('r1', 'ListUsers', '198.51.100.1')]));
  await writeFile(
    attackFile,
    trail([
      call('a1', 'CreateAccessKey', '203.0.113.7'),
      call('a2', 'AttachUserPolicy', '203.0.113.7'),
      call('a3', 'ListBuckets', '203.0.113.7'),
    ]),
  );
  const run = await runCli(['investigate', routine, attackFile, '--case', investigated]);
  expect(run.code, run.stderr).toBe(0);
}, 120_000);

async function tamperedCopy(name: string, sql: string): Promise<string> {
  const copy = path.join(work, name);
  await cp(investigated, copy, { recursive: true });
  const instance = await DuckDBInstance.create(path.join(copy, 'case.duckdb'));
  const connection = await instance.connect();
  await connection.run(sql);
  connection.closeSync();
  instance.closeSync();
  return copy;
}

describe('verify of the case database', () => {
  it('passes on the case investigate stored', async () => {
    const verify = await runCli(['verify', '--case', investigated]);

    expect(verify.stdout).toContain('verified');
    expect(verify.code).toBe(0);
  });

  it('names the evidence whose events were deleted', async () => {
    const caseDir = await tamperedCopy(
      'deleted',
      "DELETE FROM events WHERE src_ip = '203.0.113.7' AND api_operation = 'CreateAccessKey'",
    );
    const verify = await runCli(['verify', '--case', caseDir]);

    expect(verify.code).toBe(5);
    expect(verify.stdout).toContain('database_events_changed');
    expect(verify.stdout).toContain(`evidence ${attackFile}`);
    expect(verify.stdout).toContain('holds 2 events');
    expect(verify.stdout).not.toContain('routine.json');
  });

  it('names the evidence whose events were edited', async () => {
    const caseDir = await tamperedCopy(
      'edited',
      "UPDATE events SET src_ip = '198.51.100.1' WHERE src_ip = '203.0.113.7'",
    );
    const verify = await runCli(['verify', '--case', caseDir, '--json']);
    const report = JSON.parse(verify.stdout) as {
      problems: { code: string; message: string }[];
    };

    expect(verify.code).toBe(5);
    expect(report.problems.map((problem) => problem.code)).toEqual(['database_events_changed']);
    expect(report.problems[0]?.message).toContain('content differs');
    expect(report.problems[0]?.message).toContain(attackFile);
  });

  it('passes when a later run sets earlier copies aside', async () => {
    // A lookup-events export repeats one event of an S3 delivery file. The copy kept is the
    // one of the smaller evidence hash, so one of the two orders moves a copy that an earlier
    // run recorded to duplicate_events.
    const event = call('d1', 'CreateAccessKey', '203.0.113.9');
    const delivery = path.join(work, 'delivery.json');
    await writeFile(delivery, trail([event, call('d2', 'ListUsers', '203.0.113.9')]));
    const lookup = path.join(work, 'lookup.json');
    const exported = { EventId: event.eventID, CloudTrailEvent: JSON.stringify(event) };
    await writeFile(lookup, JSON.stringify({ Events: [exported] }));

    for (const [first, second] of [
      [delivery, lookup],
      [lookup, delivery],
    ] as const) {
      const caseDir = path.join(work, `order-${path.basename(first)}`);
      await runCli(['investigate', first, '--case', caseDir]);
      const rerun = await runCli(['investigate', second, '--case', caseDir, '--json']);
      const verify = await runCli(['verify', '--case', caseDir]);

      expect(JSON.parse(rerun.stdout).duplicates).toBe(1);
      expect(verify.stdout).toContain('verified');
      expect(verify.code).toBe(0);
    }
  }, 60_000);

  it('reports events of evidence the ledger never recorded', async () => {
    const caseDir = await tamperedCopy(
      'added',
      `INSERT INTO events SELECT * REPLACE ('${'f'.repeat(64)}' AS evidence_sha256)
       FROM events LIMIT 1`,
    );
    const verify = await runCli(['verify', '--case', caseDir]);

    expect(verify.code).toBe(5);
    expect(verify.stdout).toContain('database_unrecorded');
    expect(verify.stdout).toContain('which the manifest does not list');
  });
});
