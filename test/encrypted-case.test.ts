import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
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
// Investigated once, then copied for each test, since every test changes the case it uses.
let plainTemplate: string;
let sealedTemplate: string;

/** Returns the SHA-256 of bytes as hex. */
function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Concatenates every file under `folder`, to search it for plaintext. */
async function allBytes(folder: string): Promise<string> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.isFile()) parts.push(await readFile(path.join(entry.parentPath, entry.name)));
  }
  return Buffer.concat(parts).toString('latin1');
}

/** Starts `cloudcase serve` on a case and resolves once it listens. */
async function startServe(
  caseDir: string,
  runEnv: NodeJS.ProcessEnv,
): Promise<ReturnType<typeof spawn>> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/cloudcase.mjs'), 'serve', '--case', caseDir, '--port', '0'],
    { env: { ...process.env, TZ: 'UTC', ...runEnv }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('open http')) resolve();
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
  });
  return child;
}

/**
 * Runs the CLI in this process, so a test can set its clock. `keyEnv` goes into `process.env`,
 * where the store reads the case key and the work folder.
 */
async function runInProcess(args: string[], keyEnv: NodeJS.ProcessEnv) {
  const saved = { ...process.env };
  Object.assign(process.env, keyEnv);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString('utf8')));
  try {
    const code = await main(args, { stdout, stderr, env: { ...process.env }, cwd: dir });
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.env = saved;
  }
}

async function investigated(
  caseName: string,
  encrypt: boolean,
  runEnv: NodeJS.ProcessEnv = env,
): Promise<string> {
  const caseDir = path.join(dir, caseName);
  const init = ['case', 'init', '-c', caseDir, ...(encrypt ? ['--encrypt'] : [])];
  expect((await runCli(init, { cwd: dir, env: runEnv })).code).toBe(0);
  const run = await runCli(['investigate', path.join(dir, 'trail.jsonl'), '-c', caseDir], {
    cwd: dir,
    env: runEnv,
  });
  expect(run.code).toBe(0);

  return caseDir;
}

/**
 * Copies an investigated case to a new folder, as a responder hands a case over. A case stores
 * no absolute path, so the copy opens and verifies like the original.
 */
async function copyCase(template: string, caseName: string): Promise<string> {
  const caseDir = path.join(dir, caseName);
  await cp(template, caseDir, { recursive: true });
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
  plainTemplate = await investigated('plain-template', false);
  sealedTemplate = await investigated('sealed-template', true);
});

// Each test runs the CLI several times, each run a few seconds on a busy machine.
describe('encrypted case end to end', { timeout: 240_000 }, () => {
  it('keeps the logs out of the case folder', async () => {
    const plain = await copyCase(plainTemplate, 'plain');
    const caseDir = await copyCase(sealedTemplate, 'sealed');
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
    const plain = await copyCase(plainTemplate, 'plain-cisa');
    const caseDir = await copyCase(sealedTemplate, 'sealed-cisa');
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
    const plaintextHash = sha256(await readFile(out));
    expect(superseded.code).toBe(0);
    expect(record.supersedes).toMatchObject({
      version: 1,
      file: expect.stringMatching(/^cisa-v0001\./),
    });
    expect(record.supersedes.sha256).toBe(plaintextHash);
  });

  it('makes the case unreadable without its key', async () => {
    const caseDir = await copyCase(sealedTemplate, 'shredded');
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
    const caseDir = await copyCase(sealedTemplate, 'tampered');
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
    // Compared by hash: toEqual walks a Buffer of megabytes one byte at a time, about 30 s here.
    expect(sha256(await readFile(file))).toBe(sha256(bytes));
  });

  it('rejects a rolled-back database', async () => {
    const caseDir = await copyCase(sealedTemplate, 'rolled-back');
    const file = path.join(caseDir, 'case.duckdb.enc');
    const older = await readFile(file);
    const again = await runCli(['investigate', path.join(dir, 'trail.jsonl'), '-c', caseDir], {
      cwd: dir,
      env,
    });
    await writeFile(file, older);
    const timeline = await runCli(['timeline', '-c', caseDir], { cwd: dir, env });
    const verify = await runCli(['verify', '-c', caseDir], { cwd: dir, env });

    expect(again.code).toBe(0);
    expect(timeline.code).toBe(5);
    expect(timeline.stderr).toContain('database_rolled_back');
    expect(verify.code).toBe(5);
    expect(verify.stdout).toContain('database_rolled_back');
  });

  it('encrypts the database when serve stops', async () => {
    const caseDir = await copyCase(sealedTemplate, 'served');
    const child = await startServe(caseDir, env);
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

  describe('crypto-shredding', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('leaves a closed case unreadable and purgeable', async () => {
      const keyFile = path.join(dir, 'shred.key');
      const keygen = await runCli(['case', 'keygen', '--case-key', '--out', keyFile], { cwd: dir });
      expect(keygen.code).toBe(0);
      const keyEnv = { ...env, CLOUDCASE_CASE_KEY_FILE: keyFile };
      const caseDir = await investigated('shred', true, keyEnv);
      const id = JSON.parse(await readFile(path.join(caseDir, 'case.json'), 'utf8')).id;
      // A server killed outright leaves its decrypted working copy behind.
      const served = await startServe(caseDir, keyEnv);
      const killed = new Promise((resolve) =>
        served.on('exit', (_code, signal) => resolve(signal)),
      );
      served.kill('SIGKILL');
      expect(await killed).toBe('SIGKILL');
      const close = await runCli(['case', 'close', '-c', caseDir], { cwd: dir, env: keyEnv });
      expect(close.code).toBe(0);
      expect(await readdir(workBase)).toHaveLength(1);

      // Crypto-shredding: the only copy of the key is deleted.
      await rm(keyFile);
      const noKey = { CLOUDCASE_DB_WORK_DIR: workBase };
      const reads = [
        ['timeline', '-c', caseDir],
        ['report', '-c', caseDir],
        ['report', '-c', caseDir, '--template', 'cisa', '--format', 'json'],
        ['entities', '-c', caseDir],
        ['scope', '-c', caseDir, '--identity', RECORD.userIdentity.arn],
        ['export', '-c', caseDir, '--format', 'timesketch-jsonl', '--out', 'shred.jsonl'],
        ['case', 'decrypt', '-c', caseDir, path.join(caseDir, 'reports', 'report.md.enc')],
      ];
      // In this process: each read fails on the missing key before it opens anything, the same
      // code path as the child processes above.
      for (const args of reads) {
        const run = await runInProcess(args, noKey);
        expect(run.code, args.join(' ')).toBe(4);
        expect(run.stderr, args.join(' ')).toContain('case_key_missing');
        expect(run.stdout, args.join(' ')).not.toContain(MARKER);
      }
      const verify = await runCli(['verify', '-c', caseDir, '--json'], { cwd: dir, env: noKey });
      const early = await runCli(['case', 'purge', '-c', caseDir, '--confirm', id], {
        cwd: dir,
        env: noKey,
      });
      const retained = await runCli(
        ['case', 'purge', '-c', caseDir, '--confirm', id, '--without-case-key'],
        { cwd: dir, env: noKey },
      );
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 91 * 86_400_000 });
      const purge = await runInProcess(
        ['case', 'purge', '-c', caseDir, '--confirm', id, '--without-case-key'],
        noKey,
      );

      expect(verify.code).toBe(5);
      const report = JSON.parse(verify.stdout);
      expect(report.problems.map((problem: { code: string }) => problem.code)).toEqual([
        'case_key_missing',
      ]);
      expect(report.warnings.map((warning: { code: string }) => warning.code)).toEqual([
        'working_copy_left',
      ]);
      expect(existsSync(path.join(dir, 'shred.jsonl'))).toBe(false);
      expect(early.code).toBe(4);
      expect(early.stderr).toContain('case_key_missing');
      expect(early.stderr).toContain('--without-case-key');
      expect(retained.code).toBe(4);
      expect(retained.stderr).toContain('retention_not_ended');
      expect(purge.code).toBe(0);
      expect(purge.stdout).toContain(`deleted case ${id}`);
      expect(purge.stdout).toContain('deleted the decrypted working copy');
      expect(existsSync(caseDir)).toBe(false);
      expect(await readdir(workBase)).toEqual([]);
    });
  });
});
