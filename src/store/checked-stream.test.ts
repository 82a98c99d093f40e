import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { checkedStream, IncompleteStreamError } from './checked-stream.ts';

async function collect(sql: string, setup = ''): Promise<unknown[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    if (setup !== '') await connection.run(setup);
    const rows: unknown[] = [];
    const read = checkedStream(connection, sql, {}, (result) => result.yieldRowsJs(), 'rows');
    for await (const chunk of read) rows.push(...chunk.map(([value]) => value));
    return rows;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('checkedStream', () => {
  it('yields every row of several chunks', async () => {
    const rows = await collect('SELECT i FROM range(5000) t(i) ORDER BY i DESC');

    expect(rows).toHaveLength(5000);
    expect(rows[0]).toBe(4999n);
  });

  // A query whose count differs from the rows it streamed plays a read that DuckDB ended
  // early. Each run of this one takes the next values of a sequence, so the count run keeps
  // none of the rows that the first run kept.
  it('raises when streamed rows fall short', async () => {
    const read = collect(
      "SELECT i FROM range(5) t(i) WHERE nextval('taken') <= 5",
      'CREATE SEQUENCE taken',
    );

    await expect(read).rejects.toBeInstanceOf(IncompleteStreamError);
    await expect(read).rejects.toThrow('DuckDB returned 5 of 0 rows');
  });
});
