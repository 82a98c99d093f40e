import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/case/audit-trail.ts';
import { silentLogger } from '../src/core/logger.ts';
import { startWorkbench } from '../src/server/workbench.ts';
import { runCli, tempDir } from './support/cli.ts';
import { send } from './support/workbench.ts';

const ATTACKER_IP = '203.0.113.7';
const ANALYST = 'ana@example';

let work: string;
let caseDir: string;

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
  work = await tempDir('cloudcase-audit-');
  caseDir = path.join(work, 'case');
  const logs = path.join(work, 'trail.json');
  const records = [
    call('e1', 'ListUsers', '198.51.100.1'),
    call('e2', 'CreateAccessKey', ATTACKER_IP),
    call('e3', 'AttachUserPolicy', ATTACKER_IP),
  ];
  await writeFile(logs, JSON.stringify({ Records: records }));
  const run = await runCli(['investigate', logs, '--case', caseDir]);
  expect(run.code, run.stderr).toBe(0);
}, 120_000);

async function auditEntries(): Promise<AuditEntry[]> {
  const run = await runCli(['case', 'audit', '--case', caseDir, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { entries: AuditEntry[] }).entries;
}

async function lastEntry(command: string): Promise<AuditEntry | undefined> {
  return (await auditEntries()).filter((entry) => entry.command === command).at(-1);
}

describe('audit trail of analysis commands', () => {
  it('counts the entities listed', async () => {
    const run = await runCli(['entities', '--case', caseDir, '--json']);
    const listed = (JSON.parse(run.stdout) as unknown[]).length;

    expect(listed).toBeGreaterThan(0);
    expect((await lastEntry('entities'))?.results).toBe(listed);
  });

  it('counts the events in scope', async () => {
    await runCli(['scope', '--case', caseDir, '--ip', ATTACKER_IP]);

    expect((await lastEntry('scope'))?.results).toBe(2);
  });

  it('counts the gap findings', async () => {
    const run = await runCli(['gaps', '--case', caseDir, '--json']);
    const findings = (JSON.parse(run.stdout) as { findings: unknown[] }).findings.length;

    expect((await lastEntry('gaps'))?.results).toBe(findings);
  });

  it('counts intel indicators a hunt matched', async () => {
    const intel = path.join(work, 'bad-ips.txt');
    await writeFile(intel, `${ATTACKER_IP}\n`);
    const run = await runCli(['hunt', '--case', caseDir, '--intel', intel]);

    expect(run.code, run.stderr).toBe(0);
    expect((await lastEntry('hunt'))?.results).toBe(1);
  });
});

describe('audit trail of the workbench', () => {
  it('records searches, event views, reports and marks', async () => {
    const bench = await startWorkbench({
      caseDir,
      host: '127.0.0.1',
      port: 0,
      analyst: ANALYST,
      logger: silentLogger(),
    });
    const headers = { cookie: `${bench.cookieName}=${bench.token}` };
    try {
      const query = encodeURIComponent(`src.ip:${ATTACKER_IP}`);
      const search = await send(bench.origin, `/api/timeline?q=${query}&limit=1`, { headers });
      const uid = (JSON.parse(search.body) as { events: { uid: string }[] }).events[0]?.uid;
      await send(bench.origin, `/api/timeline?q=${query}&offset=1&limit=1`, { headers });
      await send(bench.origin, `/api/event?uid=${uid}`, { headers });
      await send(bench.origin, '/api/timeline?q=no.such.field:1', { headers });
      await send(bench.origin, '/reports/download?name=report.md', { headers });
      await send(bench.origin, '/api/marks', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ uid, kind: 'tag', value: 'attacker' }),
      });
    } finally {
      await bench.close();
    }

    const served = (await auditEntries()).filter((entry) => entry.command.startsWith('serve'));
    const summary = served.map((entry) => [entry.command, entry.results, entry.error]);

    expect(summary).toEqual([
      ['serve search', 2, null],
      ['serve event', 1, null],
      ['serve search', null, 'invalid_query'],
      ['serve report download', 1, null],
      ['serve mark tag', 1, null],
    ]);
    expect(new Set(served.map((entry) => entry.actor))).toEqual(new Set([ANALYST]));
    expect(served[0]?.options).toEqual({ query: `src.ip:${ATTACKER_IP}` });
    expect(served[3]?.options).toEqual({ name: 'report.md' });
  });
});
