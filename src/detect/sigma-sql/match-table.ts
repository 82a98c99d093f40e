/**
 * The matches of a scan as a DuckDB relation, one row per rule and event, so that a caller can
 * count and store them in SQL without reading every match into JavaScript. Only each rule's
 * earliest matches are explained, because explaining needs the raw record of the event.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../../core/errors.ts';
import { parseJsonLossless } from '../../sources/json-numbers.ts';
import type { SqlDialect } from './dialect.ts';
import { withWrittenJoinOrder } from './join-order.ts';
import { readInPages } from './paged-read.ts';
import type { MatchExplainer } from './scan.ts';

// Every (rule, event) pair of the matches handed to the caller, with the event's row id in
// `events`, uid and time.
const PAIRS_TABLE = 'temp.sigma_match_pairs';
// The explanations of each rule's earliest matches, as JSON text, by event row id.
const EXPLAINED_TABLE = 'temp.sigma_match_explained';
// The events whose matches are explained, numbered, with their row ids in `events`.
const TO_EXPLAIN_TABLE = 'sigma_match_to_explain';
/** Events whose raw records are read into JavaScript at once to explain their matches. */
const EXPLAIN_PAGE = 2_000;

/** The matches `withMatchTable` reads and the explainer it runs on the earliest. */
export interface MatchTableInput {
  /**
   * Temporary table of the scan: `event_row` (the row id in `events`) and `rule_ids`, possibly
   * several rows per event.
   */
  matched: string;
  /** Rules whose matches the relation lists; every rule when `all`. */
  rules: ReadonlySet<string> | 'all';
  explain: MatchExplainer | undefined;
  /**
   * Number of each rule's earliest matches (by event time, then uid) that are explained, or
   * infinity for every match.
   */
  explainFirst: number;
}

/**
 * Builds the relation of a scan's matches on `connection` and passes its SQL to `use`. The
 * relation has the columns `rule_id`, `event_uid`, `event_row` (the event's row id in
 * `events`), `time` (the event's TIMESTAMP) and `explanation` (JSON, NULL past each rule's
 * `explainFirst` earliest matches). It is valid until `use` returns; the temporary tables
 * behind it are dropped then.
 */
export async function withMatchTable(
  connection: DuckDBConnection,
  dialect: SqlDialect,
  input: MatchTableInput,
  use: (relation: string) => Promise<void>,
): Promise<void> {
  // A scan runs with filter pushdown disabled. Without it, DuckDB 1.5 took minutes on
  // `rule_id IN (...)` with a few hundred ids over 170,000 rows, and list_contains took 0.1 s.
  const ids = input.rules === 'all' ? [] : [...input.rules].map((id) => dialect.stringLiteral(id));
  const filter = input.rules === 'all' ? '' : `WHERE list_contains(${dialect.list(ids)}, rule_id)`;
  const work = async () => {
    // `events` is the probe side, so no hash table contains the uids, which may have thousands of
    // characters (see `withWrittenJoinOrder`).
    await withWrittenJoinOrder(connection, () =>
      connection.run(`CREATE OR REPLACE TEMP TABLE ${PAIRS_TABLE.slice(5)} AS
        SELECT p.rule_id, p.event_row, e.uid AS event_uid, e.time
        FROM events e JOIN (SELECT DISTINCT event_row, rule_id
          FROM (SELECT event_row, unnest(rule_ids) AS rule_id FROM ${input.matched}) ${filter}) p
        ON e.rowid = p.event_row`),
    );
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${EXPLAINED_TABLE.slice(5)} (
        rule_id VARCHAR, event_row BIGINT, explanation VARCHAR)`,
    );
    if (input.explain !== undefined && input.explainFirst > 0) {
      await explainEarliest(connection, input.explain, input.explainFirst);
    }
    await use(`(SELECT p.rule_id, p.event_uid, p.event_row, p.time,
        CAST(x.explanation AS JSON) AS explanation
      FROM ${PAIRS_TABLE} p LEFT JOIN ${EXPLAINED_TABLE} x
        ON x.rule_id = p.rule_id AND x.event_row = p.event_row)`);
  };
  await withCleanup(work, async () => {
    await connection.run(`DROP TABLE IF EXISTS ${PAIRS_TABLE}`);
    await connection.run(`DROP TABLE IF EXISTS ${EXPLAINED_TABLE}`);
  });
}

/**
 * Explains the `first` earliest matches of each rule on its in-memory explainer and appends
 * the explanations to the explained table. Only those events' raw records are read,
 * `EXPLAIN_PAGE` events at a time, so the records held in JavaScript stay bounded however many
 * matches are explained.
 */
async function explainEarliest(
  connection: DuckDBConnection,
  explain: MatchExplainer,
  first: number,
): Promise<void> {
  // arg_min with a count keeps the earliest of each rule as it reads, on every thread. Numbering
  // all matches of each rule with a window sorted them all: 0.7 s at 858,000 matches.
  const earliest = Number.isFinite(first)
    ? `SELECT rule_id,
        unnest(arg_min(event_row, {'time': time, 'uid': event_uid}, ${first})) AS event_row
      FROM ${PAIRS_TABLE} GROUP BY rule_id`
    : `SELECT rule_id, event_row FROM ${PAIRS_TABLE}`;
  const query = {
    table: TO_EXPLAIN_TABLE,
    from: `(SELECT event_row, list(rule_id) AS rule_ids FROM (${earliest}) GROUP BY event_row) t
    JOIN events e ON e.rowid = t.event_row`,
    keys: 't.rule_ids',
    orderBy: 'e.rowid',
    columns: 'k.event_row, k.rule_ids, e.raw',
    pageSize: EXPLAIN_PAGE,
  };
  await readInPages(connection, query, (rows) => appendExplanations(connection, explain, rows));
}

async function appendExplanations(
  connection: DuckDBConnection,
  explain: MatchExplainer,
  rows: Record<string, unknown>[],
): Promise<void> {
  const appender = await connection.createAppender(EXPLAINED_TABLE.slice(5), 'main', 'temp');
  try {
    for (const row of rows) {
      if (row.raw === null) continue;
      // Read as the in-memory matcher reads records, so a long integer keeps its digits.
      const record = parseJsonLossless(String(row.raw)) as Record<string, unknown>;
      for (const ruleId of (row.rule_ids as unknown[]).map(String)) {
        const explanation = explain(ruleId, record);
        if (explanation === null) continue;
        appender.appendVarchar(ruleId);
        appender.appendBigInt(BigInt(String(row.event_row)));
        appender.appendVarchar(JSON.stringify(explanation));
        appender.endRow();
      }
    }
  } finally {
    appender.closeSync();
  }
}
