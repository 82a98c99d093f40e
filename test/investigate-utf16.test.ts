import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli, SHARED_DATA, tempDir } from './support/cli.ts';

// Six entries of `aws cloudtrail lookup-events` output, one JSON object a line.
const LOOKUP_EVENTS = path.join(
  SHARED_DATA,
  'logs/plaso-cloud-test-data/test_data/aws_cloudtrail.jsonl',
);

function utf16WithMark(text: string, encoding: 'le' | 'be'): Buffer {
  const bytes = Buffer.from(`\ufeff${text}`, 'utf16le');
  return encoding === 'be' ? bytes.swap16() : bytes;
}

interface Summary {
  records: { read: number; stored: number; rejected: number };
  rejected: { path: string; code: string; reason: string }[];
}

describe('investigate on UTF-16 files', () => {
  let dir: string;
  let run: CliRun;
  let summary: Summary;

  beforeAll(async () => {
    dir = await tempDir();
    const entries = (await readFile(LOOKUP_EVENTS, 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as unknown);
    // Windows PowerShell 5.1 redirects output as UTF-16LE with a mark and CRLF line ends.
    const document = JSON.stringify({ Events: entries.slice(0, 3) }, null, 4).replace(
      /\n/g,
      '\r\n',
    );
    const lines = entries
      .slice(3)
      .map((entry) => JSON.stringify(entry))
      .join('\n');
    await writeFile(path.join(dir, 'little.json'), utf16WithMark(document, 'le'));
    await writeFile(path.join(dir, 'big.json'), utf16WithMark(lines, 'be'));
    await writeFile(path.join(dir, 'no-mark.json'), Buffer.from(lines, 'utf16le'));

    const inputs = ['little.json', 'big.json', 'no-mark.json'].map((name) => path.join(dir, name));
    run = await runCli(['investigate', ...inputs, '--case', path.join(dir, 'case'), '--json']);
    summary = JSON.parse(run.stdout) as Summary;
  });

  it('stores the records of marked files', () => {
    expect(summary.records.read).toBe(7);
    expect(summary.records.stored).toBe(6);
    expect(summary.records.rejected).toBe(1);
  });

  it('rejects a file without a mark', () => {
    const [rejected] = summary.rejected;

    expect(summary.rejected).toHaveLength(1);
    expect(rejected?.path).toBe(path.join(dir, 'no-mark.json'));
    expect(rejected?.code).toBe('utf16_unsupported');
    expect(rejected?.reason).toContain('iconv -f UTF-16LE -t UTF-8');
  });

  it('decodes the text of each record', async () => {
    const timeline = await runCli(['timeline', '--case', path.join(dir, 'case'), '-f', 'jsonl']);
    const events = timeline.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { time: string; actor: { name: string | null } });

    expect(events.map((event) => event.time)).toEqual([
      '2022-02-07T22:19:04.000Z',
      '2022-02-07T22:19:05.000Z',
      '2022-02-07T22:19:07.000Z',
      '2022-02-07T22:23:03.000Z',
      '2022-02-07T22:23:18.000Z',
      '2022-02-07T22:23:37.000Z',
    ]);
    expect(events.filter((event) => event.actor.name === 'fakeusername')).toHaveLength(5);
  });
});
