import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../core/errors.ts';
import { jsonLine } from './json-line.ts';

const STAGE = 'line_stage';

/**
 * Returns the subquery that exposes the staged JSON lines as a struct `r` typed by `structure`.
 * `structure` must be a constant of this module's callers, never text from a log.
 */
export function stagedRows(structure: Record<string, string>): string {
  return `(SELECT json_transform(line, '${JSON.stringify(structure)}') AS r FROM temp.${STAGE})`;
}

/**
 * Stages one JSON line per row in a connection-local temporary table, runs `insertSql` (which
 * reads them through `stagedRows`) and empties the stage. Values reach DuckDB as appended data,
 * never as SQL text, so rows of any size and content are bound safely in one statement. With
 * `chunkChars`, the rows are staged and inserted in runs of at most that many characters of JSON, or
 * one row when its line is longer, so that `insertSql` reads a bounded amount of text at once.
 */
export async function insertStaged(
  connection: DuckDBConnection,
  rows: readonly object[],
  insertSql: string,
  chunkChars = Number.POSITIVE_INFINITY,
): Promise<void> {
  if (rows.length === 0) return;

  await connection.run(`CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (line VARCHAR)`);
  let next = 0;
  while (next < rows.length) {
    const appender = await connection.createAppender(STAGE, 'main', 'temp');
    let chars = 0;
    for (; next < rows.length; next++) {
      const line = jsonLine(rows[next]);
      if (chars > 0 && chars + line.length > chunkChars) break;
      appender.appendVarchar(line);
      appender.endRow();
      chars += line.length;
    }
    appender.closeSync();

    await withCleanup(
      () => connection.run(insertSql),
      () => connection.run(`DELETE FROM temp.${STAGE}`),
    );
  }
}
