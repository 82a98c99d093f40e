/**
 * `findings.json`: every finding with the uid of every event it detected. The uids are streamed
 * from DuckDB one chunk at a time and written as they arrive, so memory does not grow with the
 * number of detections, while the file still lists them all.
 */
import { open, rename, rm } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CloudcaseError } from '../core/errors.ts';
import type { CaseDb, Finding } from '../store/index.ts';
import { findingEventUidsJson } from '../store/index.ts';

/** A function that appends text to the file. */
type Write = (text: string) => Promise<void>;

/**
 * Writes `findings` to `file` as a JSON array, indented as `JSON.stringify(value, null, 2)`
 * indents it. Each finding gets `event_uids`, the uids of its events in time order, after its
 * `event_count`. The file is written beside `file` and renamed over it when complete.
 * Raises `findings_incomplete` when DuckDB returns fewer uids than the finding counts.
 */
export async function writeFindingsJson(
  file: string,
  findings: readonly Finding[],
  db: CaseDb,
): Promise<void> {
  const partial = `${file}.partial`;
  const handle = await open(partial, 'w');
  const connection = await db.connect();
  try {
    const write: Write = async (text) => void (await handle.write(text));
    await write(findings.length === 0 ? '[]' : '[');
    for (const [index, finding] of findings.entries()) {
      await write(index === 0 ? '\n  {' : ',\n  {');
      await writeFinding(write, finding, connection);
      await write('\n  }');
    }
    await write(findings.length === 0 ? '\n' : '\n]\n');
  } catch (error) {
    await handle.close();
    await rm(partial, { force: true });
    throw error;
  } finally {
    connection.closeSync();
  }
  await handle.close();
  await rename(partial, file);
}

async function writeFinding(
  write: Write,
  finding: Finding,
  connection: DuckDBConnection,
): Promise<void> {
  const { event_count, ...rest } = finding;
  const fields: [string, unknown][] = Object.entries(rest);
  // `event_count` and `event_uids` come after `techniques`, where `event_uids` always stood.
  const at = fields.findIndex(([key]) => key === 'techniques') + 1;
  fields.splice(at, 0, ['event_count', event_count], ['event_uids', null]);

  for (const [index, [key, value]] of fields.entries()) {
    const separator = index === 0 ? '\n' : ',\n';
    if (key !== 'event_uids') {
      const text = JSON.stringify(value, null, 2).replaceAll('\n', '\n    ');
      await write(`${separator}    ${JSON.stringify(key)}: ${text}`);
      continue;
    }
    await write(`${separator}    "event_uids": [`);
    const written = await writeUids(write, finding.rule_id, connection);
    await write(written === 0 ? ']' : '\n    ]');
    if (written !== event_count) {
      const message =
        `DuckDB returned ${written} of the ${event_count} events of rule ${finding.rule_id}, ` +
        'so findings.json was not written. Run the command again with more free memory.';
      throw new CloudcaseError('findings_incomplete', message);
    }
  }
}

/** Writes the uids of a rule's events, one stretch at a time, and returns how many. */
async function writeUids(
  write: Write,
  ruleId: string,
  connection: DuckDBConnection,
): Promise<number> {
  const separator = ',\n      ';
  let written = 0;
  for await (const uids of findingEventUidsJson(connection, ruleId, separator)) {
    await write(`${written === 0 ? '\n      ' : separator}${uids.json}`);
    written += uids.count;
  }
  return written;
}
