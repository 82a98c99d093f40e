import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, test } from 'vitest';
import { cleanupErrors, withCleanup, yieldWithCleanup } from '../core/errors.ts';
import { inTransaction } from './transaction.ts';

async function memoryConnection() {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run('CREATE TABLE t (a INTEGER)');
  return connection;
}

describe('inTransaction', () => {
  test('raises the statement error, not the cleanup error', async () => {
    const connection = await memoryConnection();
    const failure = await inTransaction(connection, () =>
      withCleanup(
        async () => {
          await connection.run('CREATE TEMP TABLE staged AS SELECT 1 AS a');
          await connection.run("INSERT INTO t SELECT 'not a number'::INTEGER");
        },
        () => connection.run('DROP TABLE IF EXISTS temp.staged'),
      ),
    ).catch((error: unknown) => error);

    expect(String(failure)).toMatch(/Conversion Error/);
    const cleanup = cleanupErrors(failure).map(String);
    expect(cleanup).toEqual([expect.stringMatching(/Current transaction is aborted/)]);
    // The transaction was rolled back, so the connection takes the next one.
    await inTransaction(connection, () => connection.run('INSERT INTO t VALUES (1)'));
    const rows = await connection.runAndReadAll('SELECT count(*)::INTEGER FROM t');
    expect(rows.getRowsJS()).toEqual([[1]]);
    connection.closeSync();
  });

  test('keeps the work error when ROLLBACK fails', async () => {
    const connection = await memoryConnection();
    // Work that ends the transaction itself leaves ROLLBACK nothing to roll back.
    const failure = await inTransaction(connection, async () => {
      await connection.run('COMMIT');
      throw new Error('the cause');
    }).catch((error: unknown) => error);

    expect(failure).toEqual(new Error('the cause'));
    expect(cleanupErrors(failure).map(String)).toEqual([
      expect.stringMatching(/no transaction is active/),
    ]);
    connection.closeSync();
  });
});

describe('withCleanup', () => {
  test('raises the error of a lone failed cleanup', async () => {
    const failure = withCleanup(
      async () => 1,
      () => {
        throw new Error('cleanup');
      },
    );

    await expect(failure).rejects.toThrow('cleanup');
  });

  test('returns the result after cleaning up', async () => {
    let cleaned = 0;
    const result = await withCleanup(
      async () => 'done',
      () => {
        cleaned += 1;
      },
    );

    expect([result, cleaned]).toEqual(['done', 1]);
  });
});

describe('yieldWithCleanup', () => {
  async function* failing(): AsyncGenerator<number> {
    yield 1;
    throw new Error('the cause');
  }

  test('raises the item error over the cleanup error', async () => {
    const seen: number[] = [];
    const read = async () => {
      const items = yieldWithCleanup(failing(), () => {
        throw new Error('cleanup');
      });
      for await (const item of items) seen.push(item);
    };

    await expect(read()).rejects.toThrow('the cause');
    expect(seen).toEqual([1]);
  });

  test('cleans up when the reader stops early', async () => {
    let cleaned = 0;
    const items = yieldWithCleanup(failing(), () => {
      cleaned += 1;
    });
    for await (const _ of items) break;

    expect(cleaned).toBe(1);
  });
});
