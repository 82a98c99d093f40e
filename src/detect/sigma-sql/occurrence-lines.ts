/**
 * Correlation occurrence lines built in DuckDB SQL from the raw records of base-rule matches,
 * so that a hunt's matches reach the correlation spill without their records passing through
 * JavaScript. The SQL covers the common shape exactly: group and value fields that are strings,
 * null or missing, on paths through objects. An event with any other shape (a number, an
 * object or an array where a field is read, an array on a path, a string with escapes) gets no
 * lines, and its record goes through `CorrelationEngine.add` as before, so both ways give the
 * lines that `CorrelationSpill.add` would write.
 */
import type { FeedFields } from '../sigma/correlation-engine.ts';
import { MAX_VALUE_CHARS } from './correlation-spill.ts';
import type { SqlDialect } from './dialect.ts';

/** A base rule and the correlations its matches feed. */
export interface FedRule {
  id: string;
  feeds: readonly FeedFields[];
}

/** The SQL of the occurrence lines of the matched events of a page read. */
export interface OccurrenceLinesSql {
  /**
   * Select lists computed one after the other over a match's `rule_ids` and its event's `uid`,
   * `time` and raw record `event_raw`. They define intermediate columns (named `ol_*`) and the
   * two columns `lines` and `fast` name.
   */
  layers: string[];
  /** The column that is true where the event's lines are exact. */
  fast: string;
  /**
   * The column with the event's occurrence lines, for `CorrelationSpill.addLine`: per matched
   * rule in `rules` order, per feed in feed order. Valid where `fast` is true.
   */
  lines: string;
}

/** Builds the occurrence lines of the matches of `rules`. */
export function occurrenceLinesSql(d: SqlDialect, rules: readonly FedRule[]): OccurrenceLinesSql {
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
  const lineLists = rules.map((rule) => {
    const lines = rule.feeds.map((feed) => {
      const group = feed.groupNames.map((name) => {
        const value = fieldOf(name).value;
        return `CASE WHEN ${stringJson(value)} THEN ${value} ELSE '""' END`;
      });
      const valueField = feed.valueName === null ? null : fieldOf(feed.valueName);
      const values =
        valueField === null
          ? "''"
          : `CASE WHEN ${stringJson(valueField.value)} THEN '[' || ${valueField.value} || ']' ELSE '' END`;
      const groupKey = group.length === 0 ? "'[]'" : `'[' || ${group.join(` || ',' || `)} || ']'`;
      return (
        `${d.stringLiteral(`${feed.correlation}\t`)} || ol_time || ` +
        `${d.stringLiteral(`\t${feed.rule}\t`)} || ${groupKey} || ` +
        `'\t"' || uid || '"\t' || ${values}`
      );
    });
    return `CASE WHEN list_contains(rule_ids, ${d.stringLiteral(rule.id)}) THEN ${d.list(lines)} ELSE [] END`;
  });

  const checks = [
    // Field paths read into every element of a record that is an array.
    `starts_with(event_raw, '{')`,
    // The uid is written as a JSON string without escaping.
    `NOT regexp_matches(uid, '["\\\\\\x00-\\x1f]')`,
    ...[...fields.values()].map((field) => field.exact),
  ];
  const extracted = [
    `${d.jsonPathMembers('event_raw', paths.list)} AS ol_p`,
    'CAST(epoch_ms(time) AS VARCHAR) AS ol_time',
  ];
  const values = [...fields.values()].map((field) => field.column);
  const lines = [
    `${checks.join(' AND ')} AS ol_fast`,
    `${d.listConcat(d.list(lineLists))} AS ol_lines`,
  ];
  return {
    layers: [
      extracted.join(', '),
      values.length === 0 ? 'NULL AS ol_none' : values.join(', '),
      lines.join(', '),
    ],
    fast: 'ol_fast',
    lines: 'ol_lines',
  };
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
 * The value of a field: a literal top-level key first, then the path through nested objects.
 * An array on the path fans out in the accessor, so an element at index 0 of a step (or a key
 * `0` of an object, which takes the fallback too) makes the event inexact.
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
