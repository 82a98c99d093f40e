import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli, tempDir } from './support/cli.ts';

/** Serializes `value` with the keys of every object in sorted order, as `jq -S` writes them. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}

function record(id: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
    eventTime: `2024-03-01T10:00:0${id}Z`,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    eventID: `00000000-0000-4000-8000-00000000000${id}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    ...extra,
  };
}

interface Summary {
  records: { read: number; stored: number; rejected: number };
  streams: { path: string; format: string | null }[];
}

// Sorted keys put `additionalEventData` first, so a large one hides every key that identifies
// CloudTrail in the first 64 KiB of the file.
describe('investigate on sorted-key CloudTrail lines', () => {
  const files = {
    'string.jsonl': { additionalEventData: 'd'.repeat(70_000) },
    'nested.jsonl': { additionalEventData: { bytesTransferredIn: 1, note: 'n'.repeat(200_000) } },
    'escaped.jsonl': { additionalEventData: `\\"eventSource\\"${'\\"'.repeat(40_000)}` },
    // Longer than the bytes skimmed to recognise a stream.
    'beyond-skim.jsonl': { additionalEventData: 'd'.repeat(2 * 1024 * 1024) },
    // Another first field, which only skimming gets past.
    'addendum.jsonl': { addendum: { reason: 'r'.repeat(100_000) } },
  };
  let run: CliRun;
  let summary: Summary;

  beforeAll(async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'input');
    await mkdir(input);
    for (const [name, first] of Object.entries(files)) {
      const lines = [record(1, first), record(2), record(3)].map(sortedJson);
      await writeFile(path.join(input, name), `${lines.join('\n')}\n`);
    }

    run = await runCli(['investigate', input, '--case', path.join(dir, 'case'), '--json']);
    summary = JSON.parse(run.stdout) as Summary;
  }, 120_000);

  it('exits with the success code', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('reads every file as CloudTrail', () => {
    const formats = summary.streams.map((stream) => [path.basename(stream.path), stream.format]);
    const expected = Object.keys(files).map((name) => [name, 'aws.cloudtrail']);

    expect(formats.sort()).toEqual(expected.sort());
  });

  it('stores every record', () => {
    expect(summary.records).toEqual({ read: 15, stored: 15, rejected: 0 });
  });
});
