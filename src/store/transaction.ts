import type { DuckDBConnection } from '@duckdb/node-api';
import { cleanUpAfter } from '../core/errors.ts';

/**
 * Runs `work` in one transaction on `connection`: commits when it succeeds, and rolls back and
 * raises its error when it fails. A ROLLBACK that fails too (DuckDB has already ended the
 * transaction of a failed COMMIT) never replaces that error (see `withCleanup`).
 */
export async function inTransaction<T>(
  connection: DuckDBConnection,
  work: () => Promise<T>,
): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    await connection.run('COMMIT');
    return result;
  } catch (error) {
    await cleanUpAfter(error, () => connection.run('ROLLBACK'));
    throw error;
  }
}
