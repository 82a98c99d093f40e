/**
 * Planning of the scans that test stored copies of CloudTrail fields (see `STORED_COPIES`)
 * instead of parsing every record. It picks the requirement of each rule that a scan tests and
 * the rules that share a scan, and writes the SQL that selects the events such a scan reads.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { UNVERIFIED_TABLE } from '../../store/copies-record.ts';
import { COPIES_SOURCE, STORED_COPIES } from '../../store/stored-copies.ts';
import type { DetectionRule } from '../sigma/model.ts';
import { literalPattern, widenPattern } from '../sigma/pattern.ts';
import { type TextRequirement, textRequirements } from '../sigma/prefilter.ts';
import type { SqlDialect } from './dialect.ts';

/** A requirement on a field with a stored copy in `column`. */
export interface ColumnRequirement {
  requirement: TextRequirement;
  column: string;
}

/** A rule with requirements on fields that have stored copies, one of which its scan tests. */
export interface ColumnRule {
  rule: DetectionRule;
  candidates: ColumnRequirement[];
}

/**
 * Rules that share one scan over the events whose stored `column` meets their requirements,
 * each with its requirements on other stored columns.
 */
export interface ColumnGroup {
  column: string;
  rules: { rule: DetectionRule; requirement: TextRequirement; others: ColumnRequirement[] }[];
}

/** A rule of a column scan: the requirement on the scan's column, and those on others. */
export interface ScanRequirements {
  requirement: TextRequirement;
  others: readonly ColumnRequirement[];
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
  return textRequirements(rule, mapField).flatMap((requirement) => {
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

/** The case-folded texts of a requirement. */
type Texts = Pick<TextRequirement, 'values' | 'prefixes' | 'substrings'>;

/** The number of CloudTrail events with each case-folded value of a stored column. */
export class ColumnCounts {
  readonly #counts = new Map<string, Map<string, number>>();
  readonly #textRows = new Map<string, number>();
  /** CloudTrail events in all. */
  total = 0;

  /** Reads the counts of `columns` with one grouped read of each. */
  static async read(
    connection: DuckDBConnection,
    dialect: SqlDialect,
    columns: Iterable<string>,
  ): Promise<ColumnCounts> {
    const counts = new ColumnCounts();
    const total = await connection.runAndReadAll(
      `SELECT count(*) AS n FROM events WHERE source = ${dialect.stringLiteral(COPIES_SOURCE)}`,
    );
    counts.total = Number(total.getRowObjectsJS()[0]?.n ?? 0);
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
   * Estimates the events a scan reads whose column is one of the requirement's values,
   * starts with one of its prefixes or contains one of its substrings. An event that two texts
   * name counts twice.
   */
  rows(column: string, requirement: Texts): number {
    const byValue = this.#counts.get(column);
    let rows = 0;
    for (const value of requirement.values) rows += byValue?.get(value) ?? 0;
    for (const prefix of requirement.prefixes) rows += this.#textCount(column, prefix, 'prefix');
    for (const text of requirement.substrings) rows += this.#textCount(column, text, 'substring');
    return rows;
  }

  #textCount(column: string, text: string, kind: 'prefix' | 'substring'): number {
    const key = JSON.stringify([column, text, kind]);
    const known = this.#textRows.get(key);
    if (known !== undefined) return known;
    let rows = 0;
    for (const [value, count] of this.#counts.get(column) ?? []) {
      if (kind === 'prefix' ? value.startsWith(text) : value.includes(text)) rows += count;
    }
    this.#textRows.set(key, rows);
    return rows;
  }
}

/**
 * Returns the rules that cost less in a scan that reads every CloudTrail record anyway than in
 * a column scan. Each event a column scan reads costs `PARSE_COST` plus `RULE_COST`, and a rule
 * of the full scan costs `RULE_COST` per CloudTrail event. Such a rule requires only common values,
 * like `userIdentity.type: AssumedRole` in a case of assumed roles.
 */
export function rulesForFullScan(rules: readonly ColumnRule[], counts: ColumnCounts): ColumnRule[] {
  return rules.filter((entry) => {
    const best = cheapest(entry.candidates, (column, texts) => counts.rows(column, texts));
    const rows = counts.rows(best.column, best.requirement);
    return rows * (PARSE_COST + RULE_COST) > counts.total * RULE_COST;
  });
}

/**
 * Groups the rules that test stored columns into scans by how many events each would read.
 * Each rule tests the candidate requirement that names the fewest events. A scan costs about
 * `COLUMN_SCAN_COST` whatever it reads, and each event it reads costs `PARSE_COST` plus
 * `RULE_COST` per rule of the scan. So a rule whose literals name many events (S3 object reads
 * in a case full of them) gets a scan of its own, or shares one with rules that name the same
 * events. The other rules then do not test those events too. Rules keep their order within
 * a group.
 */
export function planColumnGroups(
  rules: readonly ColumnRule[],
  counts: ColumnCounts,
): ColumnGroup[] {
  const rowsOf = (column: string, requirement: Texts) => counts.rows(column, requirement);
  const costOf = (rows: number, ruleCount: number) => rows * (PARSE_COST + RULE_COST * ruleCount);

  interface Group extends Texts {
    column: string;
    rows: number;
    entries: { index: number; requirement: TextRequirement; others: ColumnRequirement[] }[];
  }
  const groups: Group[] = [];
  const ranked = rules
    .map((entry, index) => {
      const best = cheapest(entry.candidates, rowsOf);
      const others = entry.candidates.filter((candidate) => candidate.column !== best.column);
      return { index, ...best, others, rows: rowsOf(best.column, best.requirement) };
    })
    .sort((a, b) => b.rows - a.rows);
  for (const { index, column, requirement, others, rows } of ranked) {
    let best: Group | null = null;
    let bestCost = COLUMN_SCAN_COST + costOf(rows, 1);
    for (const group of groups) {
      if (group.column !== column) continue;
      const joined = rowsOf(column, joinTexts(group, requirement));
      const added =
        costOf(joined, group.entries.length + 1) - costOf(group.rows, group.entries.length);
      if (added < bestCost) {
        best = group;
        bestCost = added;
      }
    }
    if (best === null) {
      const texts = joinTexts(requirement);
      groups.push({ column, ...texts, rows, entries: [{ index, requirement, others }] });
      continue;
    }
    Object.assign(best, joinTexts(best, requirement));
    best.rows = rowsOf(column, best);
    best.entries.push({ index, requirement, others });
  }

  return groups.map((group) => ({
    column: group.column,
    rules: group.entries
      .sort((a, b) => a.index - b.index)
      .map(({ index, requirement, others }) => ({ rule: rules[index]!.rule, requirement, others })),
  }));
}

/** Returns new sets with the texts of all the requirements. */
function joinTexts(...requirements: Texts[]): Texts {
  return {
    values: new Set(requirements.flatMap((r) => [...r.values])),
    prefixes: new Set(requirements.flatMap((r) => [...r.prefixes])),
    substrings: new Set(requirements.flatMap((r) => [...r.substrings])),
  };
}

/** Returns the candidate that names the fewest events, the first of those that tie. */
function cheapest(
  candidates: readonly ColumnRequirement[],
  rowsOf: (column: string, requirement: TextRequirement) => number,
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
 * Selects the CloudTrail events whose stored `column` meets the requirement of some rule of a
 * scan (see `textsTest`), and with `withUnverified` also the events whose copies no ingest
 * vouched for. When every rule also has requirements on other columns, an event must meet one
 * rule's requirements on all of them. Valid only while the copies are trusted, because then an
 * event whose copy is other text or NULL matches no rule of the scan. `selectList` gives the
 * columns it returns from `table`.
 */
export function columnPrefilterSql(
  dialect: SqlDialect,
  table: string,
  selectList: string,
  column: string,
  rules: readonly ScanRequirements[],
  withUnverified: boolean,
): string {
  const d = dialect;
  let test = textsTest(d, column, joinTexts(...rules.map((rule) => rule.requirement)));
  if (rules.length > 0 && rules.every((rule) => rule.others.length > 0)) {
    const byRule = rules.map((rule) =>
      rule.others.map((other) => textsTest(d, other.column, other.requirement)).join(' AND '),
    );
    test = `${test} AND (${[...new Set(byRule)].join(' OR ')})`;
  }
  if (withUnverified) test = `${test} OR uid IN (SELECT uid FROM ${UNVERIFIED_TABLE})`;
  const source = d.stringLiteral(COPIES_SOURCE);
  return `(SELECT ${selectList} FROM ${table} WHERE source = ${source} AND (${test}))`;
}

/**
 * SQL true where a stored column, case-folded, is one of the texts' values, starts with one of
 * their prefixes or contains one of their substrings, and false elsewhere, NULL included.
 */
function textsTest(d: SqlDialect, column: string, texts: Texts): string {
  const lowered = d.lowerText(column);
  const tests: string[] = [];
  if (texts.values.size > 0) {
    const list = d.list([...texts.values].map((literal) => d.stringLiteral(literal)));
    // A list function, not IN: DuckDB turns a long IN list into a join, which reads every row.
    tests.push(d.listOverlaps(list, d.list([lowered])));
  }
  for (const prefix of texts.prefixes) {
    tests.push(d.matchPattern(lowered, widenPattern(literalPattern(prefix), false, true)));
  }
  for (const text of texts.substrings) {
    tests.push(d.matchPattern(lowered, widenPattern(literalPattern(text), true, true)));
  }
  return tests.length === 0 ? 'FALSE' : `coalesce(${tests.join(' OR ')}, FALSE)`;
}
