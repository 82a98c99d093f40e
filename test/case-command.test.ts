import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { tempDir } from './support/cli.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with its own streams, as `cloudcase ARGS` in `cwd`. */
async function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString('utf8')));
  const code = await main(args, {
    stdout,
    stderr,
    env: { CLOUDCASE_ANALYST: 'ana', ...env },
    cwd,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

async function caseJson(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(dir, 'c', 'case.json'), 'utf8'));
}

const RECORD = {
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
  eventTime: '2024-03-01T10:00:00Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'GetCallerIdentity',
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.10',
  eventID: 'e1',
};

describe('case command', () => {
  it('creates, changes and shows a case', async () => {
    const dir = await tempDir();
    const init = await cli(dir, [
      'case',
      'init',
      '-c',
      'c',
      '--title',
      'Acme key leak',
      '--organisation',
      'Acme',
      '--timezone',
      'Europe/Berlin',
      '--discovered-at',
      '2024-05-16T09:30:00Z',
      '--lead',
      'ana',
    ]);
    const set = await cli(
      dir,
      ['case', 'set', '-c', 'c', '--phase', 'containment', '--add-task', 'rotate keys'],
      { CLOUDCASE_ANALYST: 'bob' },
    );
    const done = await cli(dir, ['case', 'set', '-c', 'c', '--done-task', '1', '--note', 'seen']);
    const show = await cli(dir, ['case', 'show', '-c', 'c', '--json']);
    const info = JSON.parse(show.stdout);

    expect(init.code).toBe(0);
    expect(set.code).toBe(0);
    expect(done.code).toBe(0);
    expect(info).toMatchObject({
      title: 'Acme key leak',
      organisation: 'Acme',
      timezone: 'Europe/Berlin',
      discovered_at: '2024-05-16T09:30:00.000Z',
      phase: 'containment',
      lead: 'ana',
      tasks: [{ id: 1, text: 'rotate keys', done: true, added_by: 'bob', done_by: 'ana' }],
      notes: [{ analyst: 'ana', text: 'seen' }],
      retention: { evidence_days: 90, legal_hold: null },
    });
    expect(info.history).toContainEqual(
      expect.objectContaining({ analyst: 'bob', field: 'phase', value: 'containment' }),
    );
    expect(info.history[0].time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // Discovered in 2024, so the 72-hour clock has long run out.
    expect(info.deadlines).toEqual([
      expect.objectContaining({ id: 'incident_report', due_at: '2024-05-19T09:30:00.000Z' }),
    ]);
    const text = await cli(dir, ['case', 'show', '-c', 'c']);
    expect(text.stdout).toMatch(
      /reporting clocks:\n {2}incident report \(72 hours from discovery\)/,
    );
  });

  it('rejects invalid fields and changes nothing', async () => {
    const dir = await tempDir();
    await cli(dir, ['case', 'init', '-c', 'c']);
    const before = await caseJson(dir);

    const zone = await cli(dir, ['case', 'set', '-c', 'c', '--timezone', 'Mars/Olympus']);
    const phase = await cli(dir, ['case', 'set', '-c', 'c', '--phase', 'panic']);
    const days = await cli(dir, ['case', 'set', '-c', 'c', '--retention-days', '30']);
    const exponent = await cli(dir, ['case', 'set', '-c', 'c', '--retention-days', '1e3']);
    const task = await cli(dir, ['case', 'set', '-c', 'c', '--done-task', '7']);
    const again = await cli(dir, ['case', 'init', '-c', 'c']);

    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain('invalid_timezone');
    expect(phase.stderr).toContain('invalid_phase');
    expect(days.stderr).toContain('invalid_retention');
    expect(exponent.stderr).toContain('invalid_retention');
    expect(task.stderr).toContain('task_not_found');
    expect(again.code).toBe(4);
    expect(await caseJson(dir)).toEqual(before);
  });

  it('rejects event times in the future', async () => {
    const dir = await tempDir();
    await cli(dir, ['case', 'init', '-c', 'c']);
    const before = await caseJson(dir);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const soon = new Date(Date.now() + 60_000).toISOString();

    const runs = await Promise.all(
      ['reported_at', 'onset_at', 'ransom_payment_at'].map((field) =>
        cli(dir, ['case', 'set', '-c', 'c', '--report-field', `${field}=${tomorrow}`]),
      ),
    );
    const discovered = await cli(dir, ['case', 'set', '-c', 'c', '--discovered-at', tomorrow]);
    const created = await cli(dir, ['case', 'init', '-c', 'd', '--discovered-at', tomorrow]);

    for (const run of [...runs, discovered, created]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('future_time');
      expect(run.stderr).toContain(`${tomorrow} is 24 hours in the future`);
      expect(run.stderr).toContain('give the time it happened');
    }
    expect(runs[0]?.stderr).toContain('--report-field reported_at');
    expect(await caseJson(dir)).toEqual(before);
    expect(existsSync(path.join(dir, 'd', 'case.json'))).toBe(false);

    const clockAhead = await cli(dir, [
      'case',
      'set',
      '-c',
      'c',
      '--report-field',
      `reported_at=${soon}`,
    ]);
    expect(clockAhead.code).toBe(0);
  });

  it('records every command in the audit trail', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'trail.jsonl');
    await writeFile(log, `${JSON.stringify(RECORD)}\n`);
    await cli(dir, ['case', 'init', '-c', 'c']);
    await cli(dir, ['investigate', log, '-c', 'c', '--json'], { CLOUDCASE_ANALYST: 'bob' });
    await cli(dir, ['timeline', '-c', 'c']);
    await cli(dir, ['case', 'set', '-c', 'c', '--phase', 'nonsense']);

    const run = await cli(dir, ['case', 'audit', '-c', 'c', '--json']);
    const { entries, broken } = JSON.parse(run.stdout);

    expect(run.code).toBe(0);
    expect(broken).toEqual([]);
    expect(entries.map((entry: { command: string }) => entry.command)).toEqual([
      'case init',
      'investigate',
      'timeline',
      'case set',
    ]);
    expect(entries[1]).toMatchObject({ actor: 'bob', args: [log], exit_code: 0, results: 1 });
    expect(entries[2]).toMatchObject({ actor: 'ana', results: 1 });
    expect(entries[3]).toMatchObject({
      exit_code: 2,
      error: 'invalid_phase',
      options: { case: 'c', phase: 'nonsense' },
    });
  });

  it('seals a closed case and keeps it', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'trail.jsonl');
    await writeFile(log, `${JSON.stringify(RECORD)}\n`);
    await cli(dir, ['investigate', log, '-c', 'c', '--json']);
    const id = (await caseJson(dir)).id as string;

    const close = await cli(dir, ['case', 'close', '-c', 'c', '--lessons', 'rotate faster']);
    const set = await cli(dir, ['case', 'set', '-c', 'c', '--note', 'late']);
    const again = await cli(dir, ['investigate', log, '-c', 'c', '--json']);
    const verify = await cli(dir, ['verify', '-c', 'c', '--json']);
    const early = await cli(dir, ['case', 'purge', '-c', 'c', '--confirm', id]);
    const hold = await cli(dir, ['case', 'hold', '-c', 'c', '--reason', 'litigation']);
    const held = await cli(dir, ['case', 'purge', '-c', 'c', '--confirm', id]);

    expect(close.code).toBe(0);
    expect(await caseJson(dir)).toMatchObject({ phase: 'post-incident', closed_by: 'ana' });
    expect(set.code).toBe(4);
    expect(set.stderr).toContain('case_sealed');
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('case_sealed');
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, sealed: true });
    expect(early.stderr).toContain('retention_not_ended');
    expect(hold.code).toBe(0);
    expect(held.stderr).toContain('legal_hold');
    expect(existsSync(path.join(dir, 'c', 'case.json'))).toBe(true);
    expect((await cli(dir, ['verify', '-c', 'c'])).code).toBe(0);
  });

  it('signs with a key kept outside the case', async () => {
    const dir = await tempDir();
    const keygen = await cli(dir, ['case', 'keygen', '--out', 'keys/signer.pem']);
    const env = { CLOUDCASE_SIGNING_KEY: path.join(dir, 'keys/signer.pem') };
    await cli(dir, ['case', 'init', '-c', 'c'], env);
    await cli(dir, ['case', 'set', '-c', 'c', '--note', 'signed outside'], env);
    await writeFile(path.join(dir, 'pinned.pub'), await readFile(path.join(dir, 'c/custody.pub')));

    const withoutKey = await cli(dir, ['case', 'set', '-c', 'c', '--note', 'no key']);
    const verify = await cli(dir, ['verify', '-c', 'c', '--public-key', 'pinned.pub']);

    expect(keygen.code).toBe(0);
    expect(keygen.stdout).toMatch(/fingerprint [0-9a-f]{64}/);
    expect(existsSync(path.join(dir, 'c', 'keys'))).toBe(false);
    expect(withoutKey.code).toBe(4);
    expect(withoutKey.stderr).toContain('signing_key_missing');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('verified');
  });
});

describe('encrypted case', () => {
  it('investigates with the key and is unreadable without it', async () => {
    const dir = await tempDir();
    const log = path.join(dir, 'trail.jsonl');
    await writeFile(log, `${JSON.stringify(RECORD)}\n`);
    const keygen = await cli(dir, ['case', 'keygen', '--case-key', '--out', 'case.key']);
    const noKey = await cli(dir, ['case', 'init', '-c', 'c', '--encrypt']);
    process.env.CLOUDCASE_CASE_KEY_FILE = path.join(dir, 'case.key');
    try {
      const init = await cli(dir, ['case', 'init', '-c', 'c', '--encrypt'], {
        CLOUDCASE_CASE_KEY_FILE: path.join(dir, 'case.key'),
      });
      const investigate = await cli(dir, ['investigate', log, '-c', 'c', '--json']);
      const verify = await cli(dir, ['verify', '-c', 'c']);

      expect(keygen.code).toBe(0);
      expect(init.code).toBe(0);
      expect(investigate.code).toBe(0);
      expect(JSON.parse(investigate.stdout).records.stored).toBe(1);
      expect(verify.code).toBe(0);
    } finally {
      delete process.env.CLOUDCASE_CASE_KEY_FILE;
    }
    const shredded = await cli(dir, ['verify', '-c', 'c']);

    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('case_key_missing');
    expect(shredded.code).toBe(5);
    expect(shredded.stdout).toContain('case_key_missing');
  });
});
