/**
 * Joins of `events` with narrow tables of row ids in the order the SQL writes them. DuckDB 1.5
 * picks the build side of a hash join from estimated row counts, so it can build the hash table
 * from `events` when a table of matches has as many rows or more. The hash table then contains the
 * columns a statement reads from `events`, such as uids that contain archive member names of
 * thousands of characters. With 140,000 matches of 70,000 events whose uids have 5,000
 * characters, that ran out of the case's 256 MB.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../../core/errors.ts';

/** The DuckDB optimizers that reorder joins and swap their build and probe sides. */
const REORDERING = ['join_order', 'build_side_probe_side'];

/**
 * Runs `work` with DuckDB joining tables in the written order, so that each hash join builds
 * its table from its right side. The statements of `work` must write `events` left of the
 * narrow table in each join. Restores `disabled_optimizers` afterwards.
 */
export async function withWrittenJoinOrder<T>(
  connection: DuckDBConnection,
  work: () => Promise<T>,
): Promise<T> {
  const reader = await connection.runAndReadAll(
    "SELECT current_setting('disabled_optimizers') AS value",
  );
  const saved = String(reader.getRowObjectsJS()[0]?.value ?? '');
  const disabled = saved
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const added = REORDERING.filter((name) => !disabled.includes(name));
  if (added.length === 0) return work();

  await connection.run(`SET disabled_optimizers = '${[...disabled, ...added].join(',')}'`);
  return withCleanup(work, () =>
    connection.run(`SET disabled_optimizers = '${saved.replaceAll("'", "''")}'`),
  );
}
