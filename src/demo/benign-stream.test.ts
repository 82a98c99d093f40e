import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateBenignRecords, writeBenignDeliveryFiles } from './benign-stream.ts';

describe('benign stream', () => {
  it('yields the requested count in time order', () => {
    const records = [...generateBenignRecords({ count: 5_000, seed: 3 })];
    const times = records.map((r) => Date.parse(r.eventTime));

    expect(records).toHaveLength(5_000);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('is deterministic per seed', () => {
    const first = [...generateBenignRecords({ count: 500, seed: 3 })];
    const second = [...generateBenignRecords({ count: 500, seed: 3 })];

    expect(second).toEqual(first);
  });

  it('writes every record into delivery files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cloudcase-stream-'));
    try {
      const written = await writeBenignDeliveryFiles(dir, { count: 20_000, seed: 5 });
      let total = 0;
      for (const file of written.files) {
        const parsed = JSON.parse(gunzipSync(await readFile(file.path)).toString('utf8'));
        total += parsed.Records.length;
      }

      expect(written.records).toBe(20_000);
      expect(total).toBe(20_000);
      expect(written.files.length).toBeGreaterThan(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
