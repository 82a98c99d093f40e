import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './support/cli.ts';

describe('rejected records', () => {
  it('travel to the store as their location and a short sample, not the whole record', async () => {
    const dir = await tempDir();
    // Far in the future, so each is read and then rejected as implausible_time.
    const record = {
      eventVersion: '1.08',
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateUser',
      eventTime: '9999-01-01T00:00:00Z',
      eventID: 'future',
      padding: 'Q'.repeat(2 * 1024 * 1024),
    };
    const file = path.join(dir, 'future.jsonl');
    await writeFile(file, `${JSON.stringify(record)}\n`.repeat(3));

    const run = await runCli(['investigate', file, '--case', path.join(dir, 'case'), '--json']);
    const summary = JSON.parse(run.stdout);

    expect(run.code).toBe(3);
    expect(summary.records).toEqual({ read: 3, stored: 0, rejected: 3 });
    for (const rejected of summary.rejected) {
      expect(Object.keys(rejected).sort()).toEqual(
        ['code', 'index', 'line', 'member', 'offset', 'path', 'reason', 'sample', 'sha256'].sort(),
      );
      expect(rejected.sample.length).toBeLessThanOrEqual(200);
    }
  });
});
