/**
 * Planning of the scans that test stored copies of CloudTrail fields (see `STORED_COPIES`)
 * instead of parsing every record: which requirement of each rule a scan tests, which rules
 * share a scan, and the SQL that selects the events such a scan reads.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { UNVERIFIED_TABLE } from '../../store/copies-record.ts';
import { COPIES_SOURCE, STORED_COPIES } from '../../store/stored-copies.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { literalPattern, widenPattern } from '../sigma/pattern.ts';
import { type PrefixRequirement, prefixRequirements } from '../sigma/prefilter.ts';
import type { SqlDialect } from './dialect.ts';

/** A requirement on a field with a stored copy in `column`. */
export interface ColumnRequirement {
  requirement: PrefixRequirement;
  column: string;
}

/** A rule with requirements on fields that have stored copies, one of which its scan tests. */
export interface ColumnRule {
  rule: DetectionRule;
  candidates: ColumnRequirement[];
}

/** Rules that share one scan over the events whose stored `column` meets their requirements. */
export interface ColumnGroup {
  column: string;
  rules: { rule: DetectionRule; requirement: PrefixRequirement }[];
}

/**
 * Returns the requirements of a routed rule on fields with stored copies, or none when the
 * rule runs on other sources than the one whose events keep the copies.
 */
export function columnRequirements(
  rule: DetectionRule,
  sources: string,
  mapField?: (field: string) => string,
): ColumnRequirement[] {
  if (sources !== COPIES_SOURCE) return [];
  return prefixRequirements(rule, mapField).flatMap((requirement) => {
    const column = STORED_COPIES[requirement.field];
    return column === undefined ? [] : [{ requirement, column }];
  });
}

// The cost model of `planColumnGroups`, in units of about a microsecond of CPU (DuckDB 1.5,
// 2-core EPYC, CloudTrail records of 1.6 KB), measured when scans parsed each record twice.
// Reading and parsing a record cost about 12, and each rule of the scan about 2.5 more per
// event read: a scan of 45 rules read 66,616 events in 8 CPU s after 1.8 s of planning. A scan
// cost about 0.15 s whatever it read.
const RULE_COST = 2.5;
const PARSE_COST = 12;
const COLUMN_SCAN_COST = 150_000;

/** The number of CloudTrail events with each case-folded value of a stored column. */
export class ColumnCounts {
  readonly #counts = new Map<string, Map<string, number>>();
  readonly #prefixRows = new Map<string, number>();

  /** Reads the counts of `columns` with one grouped read of each. */
  static async read(
    connection: DuckDBConnection,
    dialect: SqlDialect,
    columns: Iterable<string>,
  ): Promise<ColumnCounts> {
    const counts = new ColumnCounts();
    for (const column of new Set(columns)) {
      const reader = await connection.runAndReadAll(
        `SELECT ${dialect.lowerText(column)} AS value, count(*) AS n FROM events
         WHERE source = ${dialect.stringLiteral(COPIES_SOURCE)} GROUP BY ALL`,
      );
      const byValue = new Map<string, number>();
      for (const row of reader.getRowObjectsJS()) {
        if (row.value !== null) byValue.set(String(row.value), Number(row.n));
      }
      counts.#counts.set(column, byValue);
    }
    return counts;
  }

  /**
   * Estimates the events a scan reads whose column holds one of `values` or starts with one of
   * `prefixes`. An event that two prefixes name counts twice.
   */
  rows(column: string, values: ReadonlySet<string>, prefixes: ReadonlySet<string>): number {
    const byValue = this.#counts.get(column);
    let rows = 0;
    for (const value of values) rows += byValue?.get(value) ?? 0;
    for (const prefix of prefixes) rows += this.#prefixCount(column, prefix);
    return rows;
  }

  #prefixCount(column: string, prefix: string): number {
    const key = JSON.stringify([column, prefix]);
    const known = this.#prefixRows.get(key);
    if (known !== undefined) return known;
    let rows = 0;
    for (const [value, count] of this.#counts.get(column) ?? []) {
      if (value.startsWith(prefix)) rows += count;
    }
    this.#prefixRows.set(key, rows);
    return rows;
  }
}

/**
 * Groups the rules that test stored columns into scans by how many events each would read.
 * Each rule tests the candidate requirement that names the fewest events. A scan costs about
 * `COLUMN_SCAN_COST` whatever it reads, and each event it reads costs `PARSE_COST` plus
 * `RULE_COST` per rule of the scan. A rule whose literals name many events (S3 object reads in
 * a case full of them) therefore gets a scan of its own, or shares one with rules that name the
 * same events, so the other rules do not test those events too. Rules keep their order within
 * a group.
 */
export function planColumnGroups(
  rules: readonly ColumnRule[],
  counts: ColumnCounts,
): ColumnGroup[] {
  const rowsOf = (column: string, requirement: { values: Set<string>; prefixes: Set<string> }) =>
    counts.rows(column, requirement.values, requirement.prefixes);
  const costOf = (rows: number, ruleCount: number) => rows * (PARSE_COST + RULE_COST * ruleCount);

  interface Group {
    column: string;
    values: Set<string>;
    prefixes: Set<string>;
    rows: number;
    entries: { index: number; requirement: PrefixRequirement }[];
  }
  const groups: Group[] = [];
  const ranked = rules
    .map((entry, index) => {
      const best = cheapest(entry.candidates, rowsOf);
      return { index, ...best, rows: rowsOf(best.column, best.requirement) };
    })
    .sort((a, b) => b.rows - a.rows);
  for (const { index, column, requirement, rows } of ranked) {
    let best: Group | null = null;
    let bestCost = COLUMN_SCAN_COST + costOf(rows, 1);
    for (const group of groups) {
      if (group.column !== column) continue;
      const values = new Set([...group.values, ...requirement.values]);
      const prefixes = new Set([...group.prefixes, ...requirement.prefixes]);
      const joined = rowsOf(column, { values, prefixes });
      const added =
        costOf(joined, group.entries.length + 1) - costOf(group.rows, group.entries.length);
      if (added < bestCost) {
        best = group;
        bestCost = added;
      }
    }
    if (best === null) {
      const values = new Set(requirement.values);
      const prefixes = new Set(requirement.prefixes);
      groups.push({ column, values, prefixes, rows, entries: [{ index, requirement }] });
      continue;
    }
    for (const value of requirement.values) best.values.add(value);
    for (const prefix of requirement.prefixes) best.prefixes.add(prefix);
    best.rows = rowsOf(column, best);
    best.entries.push({ index, requirement });
  }

  return groups.map((group) => ({
    column: group.column,
    rules: group.entries
      .sort((a, b) => a.index - b.index)
      .map(({ index, requirement }) => ({ rule: rules[index]!.rule, requirement })),
  }));
}

/** The candidate that names the fewest events, the first of those that tie. */
function cheapest(
  candidates: readonly ColumnRequirement[],
  rowsOf: (column: string, requirement: PrefixRequirement) => number,
): ColumnRequirement {
  let best = candidates[0]!;
  let bestRows = rowsOf(best.column, best.requirement);
  for (const candidate of candidates.slice(1)) {
    const rows = rowsOf(candidate.column, candidate.requirement);
    if (rows < bestRows) {
      best = candidate;
      bestRows = rows;
    }
  }
  return best;
}

/**
 * Selects the CloudTrail events whose stored `column`, case-folded, is a literal of one of
 * `requirements` or starts with one of their prefixes, and with `withUnverified` also the events
 * whose copies no ingest vouched for. Valid only while the copies are trusted, because then an
 * event whose copy is other text or NULL matches no rule of the scan.
 */
export function columnPrefilterSql(
  dialect: SqlDialect,
  table: string,
  column: string,
  requirements: readonly PrefixRequirement[],
  withUnverified: boolean,
): string {
  const d = dialect;
  const literals = new Set(requirements.flatMap((r) => [...r.values]));
  const prefixes = new Set(requirements.flatMap((r) => [...r.prefixes]));
  const lowered = d.lowerText(column);
  const tests: string[] = [];
  if (literals.size > 0) {
    const list = d.list([...literals].map((literal) => d.stringLiteral(literal)));
    // A list function, not IN: DuckDB turns a long IN list into a join, which reads every row.
    tests.push(d.listOverlaps(list, d.list([lowered])));
  }
  for (const prefix of prefixes) {
    tests.push(d.matchPattern(lowered, widenPattern(literalPattern(prefix), false, true)));
  }
  if (withUnverified) tests.push(`uid IN (SELECT uid FROM ${UNVERIFIED_TABLE})`);
  const test = tests.length === 0 ? 'FALSE' : `coalesce(${tests.join(' OR ')}, FALSE)`;
  return `(SELECT * FROM ${table} WHERE source = ${d.stringLiteral(COPIES_SOURCE)} AND ${test})`;
}
