import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { signingString } from '../src/gaps/digest-format.ts';
import { runCli, tempDir } from './support/cli.ts';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const BUCKET = 'acme-trail-logs';
const TRAIL = 'org-trail';

interface Finding {
  kind: string;
  resource: string | null;
  start: string;
  end: string | null;
}

interface GapJson {
  findings: Finding[];
  integrity: {
    digests: number;
    digests_valid: number;
    digests_unverified: number;
    log_files_listed: number;
    log_files_valid: number;
    log_files_modified: number;
    log_files_missing: number;
    signatures_checked: boolean;
  };
}

function logKey(hour: number, id: string): string {
  const stamp = `20240513T${String(hour).padStart(2, '0')}05Z`;
  return `AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2024/05/13/${ACCOUNT}_CloudTrail_${REGION}_${stamp}_${id}.json.gz`;
}

function digestKey(hour: number): string {
  const stamp = `20240513T${String(hour).padStart(2, '0')}0000Z`;
  return `AWSLogs/${ACCOUNT}/CloudTrail-Digest/${REGION}/2024/05/13/${ACCOUNT}_CloudTrail-Digest_${REGION}_${TRAIL}_${REGION}_${stamp}.json.gz`;
}

function logFile(hour: number, name: string): Buffer {
  const time = `2024-05-13T${String(hour - 1).padStart(2, '0')}:30:00Z`;
  const record = {
    eventVersion: '1.09',
    eventTime: time,
    eventSource: 's3.amazonaws.com',
    eventName: name,
    awsRegion: REGION,
    sourceIPAddress: '203.0.113.9',
    userAgent: 'aws-cli/2.15.0',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
    recipientAccountId: ACCOUNT,
  };
  return Buffer.from(JSON.stringify({ Records: [record] }));
}

interface Written {
  key: string;
  content: Buffer;
  /** Hex signature of a digest, as S3 keeps it in the object metadata. */
  signature?: string;
}

/** Builds digests for `hours`, each listing its log files, chained until a `null` link. */
function digests(
  privateKey: KeyObject,
  fingerprint: string,
  hours: { hour: number; logs: Written[]; chained: boolean }[],
): Written[] {
  const out: Written[] = [];
  type Link = { key: string; sha256: string; signature: string };
  let previous: Link | null = null;
  for (const { hour, logs, chained } of hours) {
    const link: Link | null = chained ? previous : null;
    const previousKey: string | null = link === null ? null : link.key;
    const previousHash: string | null = link === null ? null : link.sha256;
    const previousSignature: string | null = link === null ? null : link.signature;
    const data = {
      awsAccountId: ACCOUNT,
      digestStartTime: `2024-05-13T${String(hour - 1).padStart(2, '0')}:00:00Z`,
      digestEndTime: `2024-05-13T${String(hour).padStart(2, '0')}:00:00Z`,
      digestS3Bucket: BUCKET,
      digestS3Object: digestKey(hour),
      digestPublicKeyFingerprint: fingerprint,
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: null,
      oldestEventTime: null,
      previousDigestS3Bucket: link ? BUCKET : null,
      previousDigestS3Object: previousKey,
      previousDigestHashValue: previousHash,
      previousDigestHashAlgorithm: link ? 'SHA-256' : null,
      previousDigestSignature: previousSignature,
      logFiles: logs.map((log) => ({
        s3Bucket: BUCKET,
        s3Object: log.key,
        hashValue: createHash('sha256').update(log.content).digest('hex'),
        hashAlgorithm: 'SHA-256',
        newestEventTime: `2024-05-13T${String(hour - 1).padStart(2, '0')}:30:00Z`,
        oldestEventTime: `2024-05-13T${String(hour - 1).padStart(2, '0')}:30:00Z`,
      })),
    };
    const content: Buffer = Buffer.from(JSON.stringify(data));
    const sha256: string = createHash('sha256').update(content).digest('hex');
    const parsed = {
      end: data.digestEndTime,
      bucket: BUCKET,
      object: data.digestS3Object,
      previousSignature: data.previousDigestSignature,
    };
    const toSign = signingString(parsed as Parameters<typeof signingString>[0], sha256);
    const signature = sign('sha256', Buffer.from(toSign), privateKey).toString('hex');
    const key: string = data.digestS3Object;
    out.push({ key, content, signature });
    previous = { key, sha256, signature };
  }
  return out;
}

async function writeTree(root: string, files: Written[]): Promise<void> {
  for (const file of files) {
    const target = path.join(root, file.key);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, gzipSync(file.content));
  }
}

describe('cloudcase gaps with CloudTrail digests', () => {
  let keysFile: string;
  let base: string;
  let signed: Written[];
  let run: { code: number; json: GapJson; investigated: { records: { rejected: number } } };
  const modified = logKey(2, 'CCC');
  const deleted = logKey(3, 'DDD');

  beforeAll(async () => {
    base = await tempDir('cloudcase-digests-');
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const der = publicKey.export({ format: 'der', type: 'pkcs1' });
    const fingerprint = createHash('md5').update(der).digest('hex');
    keysFile = path.join(base, 'public-keys.json');
    await writeFile(
      keysFile,
      JSON.stringify({
        PublicKeyList: [
          {
            Value: der.toString('base64'),
            ValidityStartTime: '2024-01-01T00:00:00Z',
            ValidityEndTime: '2025-01-01T00:00:00Z',
            Fingerprint: fingerprint,
          },
        ],
      }),
    );

    const logs = {
      a: { key: logKey(1, 'AAA'), content: logFile(1, 'ListBuckets') },
      b: { key: logKey(1, 'BBB'), content: logFile(1, 'GetObject') },
      c: { key: modified, content: logFile(2, 'PutObject') },
      d: { key: deleted, content: logFile(3, 'DeleteObject') },
      e: { key: logKey(6, 'EEE'), content: logFile(6, 'ListBuckets') },
    };
    signed = digests(privateKey, fingerprint, [
      { hour: 1, logs: [logs.a, logs.b], chained: true },
      { hour: 2, logs: [logs.c], chained: true },
      { hour: 3, logs: [logs.d], chained: true },
      { hour: 4, logs: [], chained: true },
      { hour: 6, logs: [logs.e], chained: false },
    ]);
    const tampered = { ...logs.c, content: logFile(2, 'PutBucketPolicy') };
    const injected = { key: logKey(2, 'ZZZ'), content: logFile(2, 'GetObject') };
    const input = path.join(base, 'bucket');
    await writeTree(input, [logs.a, logs.b, tampered, logs.e, injected, ...signed]);

    const caseDir = path.join(base, 'case');
    const investigated = await runCli(['investigate', input, '--case', caseDir, '--json']);
    const gaps = await runCli([
      'gaps',
      '--case',
      caseDir,
      '--cloudtrail-public-keys',
      keysFile,
      '--json',
    ]);
    run = {
      code: gaps.code,
      json: JSON.parse(gaps.stdout) as GapJson,
      investigated: JSON.parse(investigated.stdout),
    };
  }, 60_000);

  it('does not count digest files as rejected records', () => {
    expect(run.investigated.records.rejected).toBe(0);
  });

  it('verifies the chained signatures and counts the log files', () => {
    const integrity = run.json.integrity;
    expect(integrity.signatures_checked).toBe(true);
    expect(integrity.digests).toBe(5);
    // The newest digest of each chain has no successor carrying its signature.
    expect(integrity.digests_valid).toBe(3);
    expect(integrity.digests_unverified).toBe(2);
    expect(integrity.log_files_listed).toBe(5);
    expect(integrity.log_files_valid).toBe(3);
    expect(integrity.log_files_modified).toBe(1);
    expect(integrity.log_files_missing).toBe(1);
  });

  it('reports the modified and the deleted log file', () => {
    const byKind = (kind: string) => run.json.findings.filter((f) => f.kind === kind);
    expect(byKind('log_file_modified').map((f) => f.resource)).toEqual([modified]);
    expect(byKind('log_file_missing').map((f) => f.resource)).toEqual([deleted]);
  });

  it('reports a log file that no digest lists', () => {
    const unlisted = run.json.findings.filter((f) => f.kind === 'log_file_unlisted');
    expect(unlisted.map((f) => f.resource)).toEqual([path.basename(logKey(2, 'ZZZ'))]);
  });

  it('reports the restarted digest chain with its window', () => {
    const broken = run.json.findings.filter((f) => f.kind === 'digest_chain_broken');
    expect(broken).toHaveLength(1);
    expect(broken[0]?.start).toBe('2024-05-13T04:00:00Z');
    expect(broken[0]?.end).toBe('2024-05-13T05:00:00Z');
  });

  it('exits with the verification code when a log file was modified', () => {
    expect(run.code).toBe(5);
  });

  it('shows the integrity check in the report', async () => {
    const report = await readFile(path.join(base, 'case/reports/report.md'), 'utf8');
    const section = report.slice(report.indexOf('## What is missing or tampered'));

    // The gaps run with public keys wrote the report last.
    expect(section).toContain('CloudTrail digests: 5 (3 with a valid signature, 2 unverified)');
    expect(section).toContain(
      `| high | log_file_modified | aws.cloudtrail | ${ACCOUNT} | ${REGION} |`,
    );
  });

  it('prints one paragraph per finding as text', async () => {
    const text = await runCli(['gaps', '--case', path.join(base, 'case')]);

    expect(text.stdout).toContain(
      '\nHIGH log_file_modified [aws.cloudtrail 111122223333 us-east-1]',
    );
    expect(text.stdout).toContain('signatures not checked: no public keys given');
    expect(text.stdout).not.toContain('\\n');
  });

  it('verifies the newest digests with saved signatures', async () => {
    const [fourth, sixth] = [signed[3], signed[4]];
    if (!fourth?.signature || !sixth?.signature) throw new Error('signed digests expected');
    const file = path.join(base, 'signatures.jsonl');
    await writeFile(
      file,
      `${JSON.stringify({ Key: fourth.key, Metadata: { signature: fourth.signature } })}\n` +
        `${JSON.stringify({ [path.basename(sixth.key)]: sixth.signature })}\n`,
    );
    const args = ['gaps', '--case', path.join(base, 'case'), '--json'];
    const run = await runCli([
      ...args,
      '--cloudtrail-public-keys',
      keysFile,
      '--cloudtrail-signatures',
      file,
    ]);
    const json = JSON.parse(run.stdout) as GapJson;

    expect(json.integrity.digests_valid).toBe(5);
    expect(json.integrity.digests_unverified).toBe(0);

    const caseDir = path.join(base, 'case-signed');
    const flags = ['--cloudtrail-public-keys', keysFile, '--cloudtrail-signatures', file];
    await runCli(['investigate', path.join(base, 'bucket'), '--case', caseDir, ...flags]);
    const report = await readFile(path.join(caseDir, 'reports/report.md'), 'utf8');
    expect(report).toContain('CloudTrail digests: 5 (5 with a valid signature, 0 unverified)');
  }, 60_000);

  it('rejects a digest whose bytes were changed', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const der = publicKey.export({ format: 'der', type: 'pkcs1' });
    const fingerprint = createHash('md5').update(der).digest('hex');
    const keys = path.join(base, 'keys-2.json');
    await writeFile(keys, JSON.stringify({ PublicKeyList: [{ Value: der.toString('base64') }] }));
    const log = { key: logKey(1, 'AAA'), content: logFile(1, 'ListBuckets') };
    const [first, second, third] = digests(privateKey, fingerprint, [
      { hour: 1, logs: [log], chained: true },
      { hour: 2, logs: [], chained: true },
      { hour: 3, logs: [], chained: true },
    ]);
    if (!first || !second || !third) throw new Error('three digests expected');
    // The first digest now omits its log file, as someone hiding that file would edit it.
    const edited = JSON.parse(first.content.toString()) as { logFiles: unknown[] };
    edited.logFiles = [];
    const input = path.join(base, 'edited');
    await writeTree(input, [log, { ...first, content: Buffer.from(JSON.stringify(edited)) }]);
    await writeTree(input, [second, third]);
    const caseDir = path.join(base, 'case-edited');
    await runCli(['investigate', input, '--case', caseDir, '--json']);
    const gaps = await runCli([
      'gaps',
      '--case',
      caseDir,
      '--cloudtrail-public-keys',
      keys,
      '--json',
    ]);
    const json = JSON.parse(gaps.stdout) as GapJson;

    expect(json.findings.map((f) => f.kind)).toContain('digest_modified');
    expect(json.integrity.digests_valid).toBe(1);
    expect(gaps.code).toBe(5);
  }, 60_000);
});
