import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaseDb } from './case-db.ts';
import { CASE_MEMORY_LIMIT, openDatabase } from './open-database.ts';

let caseDir: string;

beforeEach(async () => {
  caseDir = await mkdtemp(join(tmpdir(), 'cloudcase-open-'));
  await (await CaseDb.open(caseDir)).close();
});

afterEach(async () => {
  await rm(caseDir, { recursive: true, force: true });
});

// Sorting 4,000,000 rows of a 32-character text and a number takes more than 256 MB in DuckDB
// 1.5, so the query completes only by spilling.
const SPILLING_SORT = `SELECT count(*)::INTEGER AS n, min(first)::INTEGER AS first FROM (
  SELECT first_value(i) OVER (ORDER BY m) AS first
  FROM (SELECT i, md5(i::VARCHAR) AS m FROM range(4000000) t(i)))`;

describe('read-only open', () => {
  it('uses the case memory limit and spills past it', async () => {
    const database = await openDatabase(caseDir, true);
    let spill = '';
    try {
      const connection = await database.instance.connect();
      try {
        const settings = await connection.runAndReadAll(
          "SELECT current_setting('memory_limit'), current_setting('temp_directory')",
        );
        const [limit, folder] = settings.getRowsJS()[0] ?? [];
        spill = String(folder);
        // DuckDB prints the limit in MiB, such as "244.1 MiB" for 256MB.
        const mebibytes = (Number.parseInt(CASE_MEMORY_LIMIT, 10) * 1e6) / 2 ** 20;
        expect(Number.parseFloat(String(limit))).toBeCloseTo(mebibytes, 0);
        expect(spill.startsWith(tmpdir())).toBe(true);

        const sorted = await connection.runAndReadAll(SPILLING_SORT);
        expect(sorted.getRowObjectsJS()).toEqual([{ n: 4_000_000, first: 2_420_500 }]);
      } finally {
        connection.closeSync();
      }
    } finally {
      await database.close();
    }

    expect(existsSync(spill)).toBe(false);
  }, 60_000);
});
