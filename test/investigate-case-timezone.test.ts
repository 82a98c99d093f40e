import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

const AUTH_LOG = [
  'Mar  1 10:00:00 web-1 sshd[812]: Accepted password for alice from 203.0.113.5 port 50122 ssh2',
  // After the second Sunday of March in every year, so daylight saving time (-04:00).
  'Mar 20 02:30:00 web-1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id',
].join('\n');

async function caseWithZone(dir: string, timezone: string): Promise<string> {
  const caseDir = path.join(dir, 'case');
  await mkdir(caseDir);
  const info = {
    id: '6d3f0a1e-5b7c-4d2e-9f80-1a2b3c4d5e6f',
    title: 'zone test',
    timezone,
    created_at: '2024-03-20T00:00:00.000Z',
    discovered_at: '2024-03-20T00:00:00.000Z',
    phase: 'detection-and-analysis',
  };
  await writeFile(path.join(caseDir, 'case.json'), JSON.stringify(info));
  return caseDir;
}

describe('syslog lines without a zone', () => {
  it('are read in the case time zone, which the event records', async () => {
    const dir = await tempDir();
    const caseDir = await caseWithZone(dir, 'America/New_York');
    const log = path.join(dir, 'auth.log');
    await writeFile(log, `${AUTH_LOG}\n`);

    const run = await runCli(['investigate', log, '--case', caseDir]);
    expect(run.stderr).toBe('');
    const timeline = await runCli(['timeline', '--case', caseDir, '-f', 'jsonl']);
    const events = timeline.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

    expect(events.map((event) => event.time.slice(5))).toEqual([
      '03-01T15:00:00.000Z',
      '03-20T06:30:00.000Z',
    ]);
    expect(events.map((event) => event.raw.zone_assumed)).toEqual([
      'America/New_York',
      'America/New_York',
    ]);
  });

  it('stop the run with the case exit code when the case zone is unknown', async () => {
    const dir = await tempDir();
    const caseDir = await caseWithZone(dir, 'Mars/Olympus');
    const log = path.join(dir, 'auth.log');
    await writeFile(log, `${AUTH_LOG}\n`);

    const run = await runCli(['investigate', log, '--case', caseDir]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('invalid_timezone');
  });
});
