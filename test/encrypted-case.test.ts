import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './support/cli.ts';

const MARKER = 'zebracanary-51c2';

const RECORD = {
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/${MARKER}` },
  eventTime: '2024-03-01T10:00:00Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'GetCallerIdentity',
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.10',
  eventID: 'e1',
};

// A detected event, so the CISA report quotes the actor's ARN.
const STOP_LOGGING = {
  ...RECORD,
  eventTime: '2024-03-01T10:05:00Z',
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'StopLogging',
  requestParameters: { name: 'trail' },
  eventID: 'e2',
};

let dir: string;
let workBase: string;
let env: NodeJS.ProcessEnv;

/** Concatenates every file under `folder`, to search it for plaintext. */
async function allBytes(folder: string): Promise<string> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.isFile()) parts.push(await readFile(path.join(entry.parentPath, entry.name)));
  }
  return Buffer.concat(parts).toString('latin1');
}

async function investigated(caseName: string, encrypt: boolean): Promise<string> {
  const caseDir = path.join(dir, caseName);
  const init = ['case', 'init', '-c', caseDir, ...(encrypt ? ['--encrypt'] : [])];
  expect((await runCli(init, { cwd: dir, env })).code).toBe(0);
  const run = await runCli(['investigate', path.join(dir, 'trail.jsonl'), '-c', caseDir], {
    cwd: dir,
    env,
  });
  expect(run.code).toBe(0);

  return caseDir;
}

beforeAll(async () => {
  dir = await tempDir('cloudcase-encrypted-case-');
  workBase = path.join(dir, 'work');
  await writeFile(
    path.join(dir, 'trail.jsonl'),
    `${JSON.stringify(RECORD)}\n${JSON.stringify(STOP_LOGGING)}\n`,
  );
  const keygen = await runCli(['case', 'keygen', '--case-key', '--out', 'case.key'], { cwd: dir });
  expect(keygen.code).toBe(0);
  await mkdir(workBase);
  env = {
    CLOUDCASE_CASE_KEY_FILE: path.join(dir, 'case.key'),
    CLOUDCASE_DB_WORK_DIR: workBase,
  };
});

// Each test runs the CLI several times, each run a few seconds on a busy machine.
describe('encrypted case end to end', { timeout: 240_000 }, () => {
  it('keeps the logs out of the case folder', async () => {
    const plain = await investigated('plain', false);
    const caseDir = await investigated('sealed', true);
    const afterInvestigate = await allBytes(caseDir);
    const timeline = await runCli(['timeline', '-c', caseDir], { cwd: dir, env });
    const report = await runCli(['report', '-c', caseDir, '--template', 'summary'], {
      cwd: dir,
      env,
    });
    const verify = await runCli(['verify', '-c', caseDir], { cwd: dir, env });
    const csv = await runCli(
      ['case', 'decrypt', '-c', caseDir, path.join(caseDir, 'reports', 'timeline.csv.enc')],
      { cwd: dir, env },
    );

    expect(await allBytes(plain)).toContain(MARKER);
    expect(afterInvestigate).not.toContain(MARKER);
    expect(timeline.code).toBe(0);
    expect(timeline.stdout).toContain(MARKER);
    expect(report.code).toBe(0);
    expect(report.stderr).toContain('reports/report.md is stored encrypted');
    expect(verify.code).toBe(0);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toContain(MARKER);
    expect(await allBytes(caseDir)).not.toContain(MARKER);
    expect(await readdir(path.join(caseDir, 'reports'))).toEqual([
      'findings.json.enc',
      'report.html.enc',
      'report.md.enc',
      'timeline.csv.enc',
    ]);
    expect(await readdir(workBase)).toEqual([]);
  });

  it('keeps CISA report versions encrypted', async () => {
    const plain = await investigated('plain-cisa', false);
    const caseDir = await investigated('sealed-cisa', true);
    const cisa = path.join(caseDir, 'reports', 'cisa');
    const report = (folder: string, format: string) =>
      runCli(['report', '-c', folder, '--template', 'cisa', '--format', format, '--json'], {
        cwd: dir,
        env,
      });
    const plainRun = await report(plain, 'md');
    const runs = [];
    for (const format of ['md', 'html', 'json', 'pdf']) runs.push(await report(caseDir, format));
    const set = await runCli(
      ['case', 'set', '-c', caseDir, '--report-field', 'description=Keys leaked'],
      { cwd: dir, env },
    );
    const second = await report(caseDir, 'md');
    const decrypt = (name: string) =>
      runCli(['case', 'decrypt', '-c', caseDir, path.join(cisa, name)], { cwd: dir, env });
    const markdown = await decrypt('cisa-v0001.md.enc');
    const pdf = await decrypt('cisa-v0001.pdf.enc');

    expect(plainRun.code).toBe(3);
    expect(await allBytes(path.join(plain, 'reports', 'cisa'))).toContain(MARKER);
    for (const run of runs) {
      expect(run.code).toBe(3);
      expect(JSON.parse(run.stdout)).toMatchObject({
        version: 1,
        file: expect.stringMatching(/\.enc$/),
      });
    }
    expect(set.code).toBe(0);
    expect(second.code).toBe(3);
    expect((await readdir(cisa)).sort()).toEqual([
      'cisa-v0001.html.enc',
      'cisa-v0001.json.enc',
      'cisa-v0001.md.enc',
      'cisa-v0001.pdf.enc',
      'cisa-v0001.record.json',
      'cisa-v0002.md.enc',
      'cisa-v0002.record.json',
    ]);
    expect(await allBytes(caseDir)).not.toContain(MARKER);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain(MARKER);
    expect(pdf.stdout.startsWith('%PDF-')).toBe(true);
    expect(await readdir(workBase)).toEqual([]);

    // The supplemental version names the plaintext of the one it supersedes.
    const record = JSON.parse(await readFile(path.join(cisa, 'cisa-v0002.record.json'), 'utf8'));
    const out = path.join(dir, 'superseded');
    const superseded = await runCli(
      [
        'case',
        'decrypt',
        '-c',
        caseDir,
        path.join(cisa, `${record.supersedes.file}.enc`),
        '-o',
        out,
      ],
      { cwd: dir, env },
    );
    const sha256 = createHash('sha256')
      .update(await readFile(out))
      .digest('hex');
    expect(superseded.code).toBe(0);
    expect(record.supersedes).toMatchObject({
      version: 1,
      file: expect.stringMatching(/^cisa-v0001\./),
    });
    expect(record.supersedes.sha256).toBe(sha256);
  });

  it('makes the case unreadable without its key', async () => {
    const caseDir = await investigated('shredded', true);
    const noKey = { CLOUDCASE_DB_WORK_DIR: workBase };
    const wrongKey = { ...noKey, CLOUDCASE_CASE_KEY: 'ab'.repeat(32) };
    const missing = await runCli(['timeline', '-c', caseDir], { cwd: dir, env: noKey });
    const wrong = await runCli(['timeline', '-c', caseDir], { cwd: dir, env: wrongKey });
    const report = await runCli(['report', '-c', caseDir], { cwd: dir, env: noKey });
    const decrypt = await runCli(
      ['case', 'decrypt', '-c', caseDir, path.join(caseDir, 'case.duckdb.enc')],
      { cwd: dir, env: wrongKey },
    );

    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('case_key_missing');
    expect(missing.stdout).not.toContain(MARKER);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('case_key_wrong');
    expect(report.code).toBe(4);
    expect(report.stderr).toContain('case_key_missing');
    expect(decrypt.code).toBe(4);
    expect(decrypt.stderr).toContain('case_key_wrong');
    expect(await readdir(workBase)).toEqual([]);
  });

  it('rejects a tampered database', async () => {
    const caseDir = await investigated('tampered', true);
    const file = path.join(caseDir, 'case.duckdb.enc');
    const bytes = await readFile(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0x40;
    await writeFile(file, bytes);
    const timeline = await runCli(['timeline', '-c', caseDir], { cwd: dir, env });
    const investigate = await runCli(
      ['investigate', path.join(dir, 'trail.jsonl'), '-c', caseDir],
      { cwd: dir, env },
    );
    const verify = await runCli(['verify', '-c', caseDir], { cwd: dir, env });

    expect(verify.code).toBe(5);
    expect(verify.stdout).toContain('database_modified');
    expect(timeline.code).toBe(5);
    expect(timeline.stderr).toContain('database_modified');
    expect(investigate.code).toBe(5);
    expect(investigate.stderr).toContain('database_modified');
    expect(await readFile(file)).toEqual(bytes);
  });

  it('encrypts the database when serve stops', async () => {
    const caseDir = await investigated('served', true);
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/cloudcase.mjs'), 'serve', '--case', caseDir, '--port', '0'],
      { env: { ...process.env, TZ: 'UTC', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('open http')) resolve();
      });
      child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const whileServed = await readdir(workBase);
    const timeline = await runCli(['timeline', '-c', caseDir], { cwd: dir, env });
    child.kill('SIGINT');

    expect(await exited).toBe(0);
    expect(whileServed).toHaveLength(1);
    expect(timeline.code).toBe(4);
    expect(timeline.stderr).toContain('case_open_in_server');
    expect(await readdir(workBase)).toEqual([]);
    expect(await allBytes(caseDir)).not.toContain(MARKER);
  });
});
