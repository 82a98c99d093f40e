/**
 * Correlation occurrences of a hunt's base-rule matches, computed in DuckDB SQL from their raw
 * records and written to a Parquet file of the correlation spill, so that the records do not
 * pass through JavaScript. The SQL covers the common shape exactly: group and value fields
 * that are strings, null or missing, on paths through objects without repeated keys. Other
 * events (a number, an object or an array where a field is read, an array on a path, a string
 * with escapes, a repeated key, a record of more than `LARGE_RECORD_BYTES`) are left to
 * `CorrelationEngine.add`. Both ways give the occurrences that `CorrelationSpill.add` would
 * write.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../../core/errors.ts';
import type { FeedFields } from '../sigma/correlation-engine.ts';
import { type CorrelationSpill, MAX_VALUE_CHARS, PER_RANK } from './correlation-spill.ts';
import type { SqlDialect } from './dialect.ts';
import { fitsSql, LARGE_RECORD_BYTES } from './large-records.ts';

/** A base rule and the correlations its matches feed. */
export interface FedRule {
  id: string;
  feeds: readonly FeedFields[];
}

// The matched events with their exact flag and occurrences, while they are written.
const EVENTS_TABLE = 'sigma_occurrence_events';

/**
 * Writes the occurrences of the exact events of `matches` to a Parquet file of `spill`, and
 * creates the temporary table `handled` of their `page_row`s. `matches` is the SQL of a relation
 * with each match's rank in timeline order (`page_row`), its `rule_ids` and its event's `uid`,
 * `time`, `time_ms` and raw record `event_raw`. Each event's occurrences come per matched rule
 * in `rules` order, then per feed in feed order, and take the `seq`s from `page_row` that
 * `CorrelationSpill.rank` gives, so their order is the engine's.
 */
export async function writeOccurrences(
  connection: DuckDBConnection,
  d: SqlDialect,
  rules: readonly FedRule[],
  spill: CorrelationSpill,
  matches: string,
  handled: string,
): Promise<void> {
  const sql = occurrenceRowsSql(d, rules);
  let layered = `SELECT * FROM ${matches}`;
  for (const layer of sql.layers) layered = `SELECT *, ${layer} FROM (${layered})`;
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${EVENTS_TABLE} AS
    SELECT page_row, uid, time_ms, ${sql.exact} AS exact, ${sql.occurrences} AS occurrences
    FROM (${layered})`);
  const work = async () => {
    const file = spill.tableFile();
    const widest = await connection.runAndReadAll(
      `SELECT max(strlen(uid)) FROM temp.${EVENTS_TABLE} WHERE exact`,
    );
    const rowGroup = occurrenceRowGroup(Number(widest.getRowsJS()[0]?.[0] ?? 0));
    await connection.run(`COPY (
      SELECT page_row * ${PER_RANK} + position - 1 AS seq, o.correlation,
        CAST(time_ms AS DOUBLE) AS time, o.rule, o.group_key, '"' || uid || '"' AS uids,
        o.value_texts
      FROM (SELECT page_row, uid, time_ms, unnest(occurrences) AS o,
          generate_subscripts(occurrences, 1) AS position
        FROM temp.${EVENTS_TABLE} WHERE exact)
    ) TO ${d.stringLiteral(file)} (FORMAT parquet, ROW_GROUP_SIZE ${rowGroup})`);
    const reader = await connection.runAndReadAll(
      `SELECT max(page_row) AS last FROM temp.${EVENTS_TABLE} WHERE exact`,
    );
    const last = reader.getRowObjectsJS()[0]?.last;
    if (last !== null && last !== undefined) spill.reserve((Number(last) + 1) * PER_RANK);
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${handled} AS
      SELECT page_row FROM temp.${EVENTS_TABLE} WHERE exact`);
  };
  await withCleanup(work, () => connection.run(`DROP TABLE IF EXISTS temp.${EVENTS_TABLE}`));
}

/** Bytes of a Parquet row group of occurrences, see `occurrenceRowGroup`. */
const ROW_GROUP_BYTES = 16 * 1024 * 1024;

/** Bytes of an occurrence besides its uid: group key, values and numbers, generously. */
const OCCURRENCE_BYTES = 512;

/**
 * Returns the rows per Parquet row group for occurrences whose longest uid has `uidBytes`.
 * DuckDB keeps a row group's column in one buffer: 70,000 uids of 1,500 bytes (the name of a
 * zip member is part of each) needed 117 MiB of the case's 256 MB in one row group.
 */
export function occurrenceRowGroup(uidBytes: number): number {
  const rows = Math.floor(ROW_GROUP_BYTES / (uidBytes + OCCURRENCE_BYTES));
  return Math.min(122_880, Math.max(1_024, rows));
}

/** The SQL of the occurrences of matched events. */
export interface OccurrenceRowsSql {
  /**
   * Select lists computed one after the other over a match's `rule_ids` and its event's `uid`,
   * `time` and raw record `event_raw`. They define intermediate columns named `ol_*`.
   */
  layers: string[];
  /** SQL over the layers' columns, true where the event's occurrences are exact. */
  exact: string;
  /**
   * SQL over the layers' columns of the list of the event's occurrences, structs with the
   * `correlation`, `rule`, `group_key` and `value_texts` of spill lines: per matched rule in
   * `rules` order, per feed in feed order. Valid where `exact` is true.
   */
  occurrences: string;
}

/** Builds the SQL of the occurrences of the matches of `rules`. */
export function occurrenceRowsSql(d: SqlDialect, rules: readonly FedRule[]): OccurrenceRowsSql {
  const paths = new PathList();
  const fields = new Map<string, FieldSql>();
  const fieldOf = (name: string) => {
    let field = fields.get(name);
    if (field === undefined) {
      field = fieldSql(name, paths, `ol_f${fields.size}`);
      fields.set(name, field);
    }
    return field;
  };
  const lists = rules.map((rule) => {
    const occurrences = rule.feeds.map((feed) => {
      const group = feed.groupNames.map((name) => {
        const value = fieldOf(name).value;
        return `CASE WHEN ${stringJson(value)} THEN ${value} ELSE '""' END`;
      });
      const groupKey = group.length === 0 ? "'[]'" : `'[' || ${group.join(` || ',' || `)} || ']'`;
      const valueField = feed.valueName === null ? null : fieldOf(feed.valueName).value;
      const values =
        valueField === null
          ? 'CAST(NULL AS VARCHAR)'
          : `CASE WHEN ${stringJson(valueField)} THEN '[' || ${valueField} || ']' END`;
      return (
        `{'correlation': CAST(${feed.correlation} AS INTEGER), ` +
        `'rule': CAST(${feed.rule} AS INTEGER), 'group_key': ${groupKey}, 'value_texts': ${values}}`
      );
    });
    const matched = `list_contains(rule_ids, ${d.stringLiteral(rule.id)})`;
    return `CASE WHEN ${matched} THEN ${d.list(occurrences)} ELSE [] END`;
  });

  // DuckDB reads the first of two equal keys where `JSON.parse` keeps the last, so an object on
  // a field's way with a repeated key (an escaped spelling counts) leaves the event inexact.
  // NOTE: listing the keys parses each record once more: the occurrence pass took 4.9 against
  // 2.6 CPU s for the 372,967 GetObject events of the 1,000,000-event bench case.
  const objects = objectPaths([...fields.keys()]);
  const distinctKeys = objects.map((_, index) => {
    const keys = d.listElement('ol_keys', index);
    return `(${keys} IS NULL OR len(${keys}) = len(list_distinct(${keys})))`;
  });
  // A record too large to parse is left to the engine (see `LARGE_RECORD_BYTES`), and so is a
  // record stored in parts, whose `raw` is NULL.
  const fits = `(event_raw IS NOT NULL AND ${fitsSql('event_raw', LARGE_RECORD_BYTES)})`;
  const checks = [
    fits,
    // Field paths read into every element of a record that is an array.
    `starts_with(event_raw, '{')`,
    // The uid is written as a JSON string without escaping.
    `NOT regexp_matches(uid, '["\\\\\\x00-\\x1f]')`,
    ...distinctKeys,
    ...[...fields.values()].map((field) => field.exact),
  ];
  const values = [...fields.values()].map((field) => field.column);
  return {
    layers: [
      `CASE WHEN ${fits} THEN ${d.jsonPathMembers('event_raw', paths.list)} END AS ol_p, ` +
        `CASE WHEN ${fits} THEN ${d.jsonObjectKeys('event_raw', objects)} END AS ol_keys`,
      values.length === 0 ? 'NULL AS ol_none' : values.join(', '),
    ],
    exact: checks.join(' AND '),
    occurrences: d.listConcat(d.list(lists)),
  };
}

/** Lists the paths of the record itself and of every object a dotted field name steps through. */
function objectPaths(names: readonly string[]): string[][] {
  const paths = new Map<string, string[]>([['[]', []]]);
  for (const name of names) {
    const steps = name.split('.');
    for (let end = 1; end < steps.length; end++) {
      const path = steps.slice(0, end);
      paths.set(JSON.stringify(path), path);
    }
  }
  return [...paths.values()];
}

/** JSON pointers read from each record, numbered in the order they were added. */
class PathList {
  readonly list: string[][] = [];
  readonly #index = new Map<string, number>();

  /** Returns the SQL of the value at `keys` in the extracted list `ol_p`. */
  at(keys: string[]): string {
    const key = JSON.stringify(keys);
    let index = this.#index.get(key);
    if (index === undefined) {
      index = this.list.length;
      this.list.push(keys);
      this.#index.set(key, index);
    }
    return `ol_p[${index + 1}]`;
  }
}

/** The SQL of one raw field as `compileAccessor` reads it. */
interface FieldSql {
  /** The select expression of `value`. */
  column: string;
  /** The column of the field's JSON value, or NULL where the record lacks it. */
  value: string;
  /** SQL true where `value` is what the accessor finds and its text needs no fallback. */
  exact: string;
}

/**
 * Builds the SQL of a field's value: a literal top-level key first, then the path through
 * nested objects. An array on the path fans out in the accessor, so an element at index 0 of a
 * step (or a key `0` of an object, which takes the fallback too) makes the event inexact.
 */
function fieldSql(name: string, paths: PathList, column: string): FieldSql {
  const steps = name.split('.');
  const literal = paths.at([name]);
  if (steps.length === 1) {
    return { column: `${literal} AS ${column}`, value: column, exact: plainValue(column) };
  }
  const nested = paths.at(steps);
  const arrays = steps
    .slice(0, -1)
    .map((_, index) => `${paths.at([...steps.slice(0, index + 1), '0'])} IS NULL`);
  return {
    column: `CASE WHEN ${literal} IS NOT NULL THEN ${literal} ELSE ${nested} END AS ${column}`,
    value: column,
    exact: `(${literal} IS NOT NULL OR (${arrays.join(' AND ')})) AND ${plainValue(column)}`,
  };
}

/**
 * SQL true where a JSON value is missing, null, or a string whose JSON text has no escape and
 * is short enough to be spilled as it is. DuckDB writes the string's characters as they are
 * where JSON allows it, so a text without a backslash is the string's `JSON.stringify` too. The
 * byte length bounds the UTF-16 length that `MAX_VALUE_CHARS` limits.
 */
function plainValue(value: string): string {
  return (
    `(${value} IS NULL OR ${value} = 'null' OR (starts_with(${value}, '"') ` +
    `AND NOT contains(${value}, '\\') AND strlen(${value}) <= ${MAX_VALUE_CHARS}))`
  );
}

/** SQL true where a JSON value is a string. */
function stringJson(value: string): string {
  return `starts_with(${value}, '"')`;
}
