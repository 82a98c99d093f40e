/**
 * Runs many compiled detection rules over the `events` table in few scans: in each, every field
 * its rules read is extracted once per event into a column of stacked projections, and each
 * event comes back with the ids of the rules it matched.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { CloudcaseError, withCleanup } from '../../core/errors.ts';
import { type Event, emptyActor, emptyEndpoint } from '../../core/event.ts';
import { checkedStream, IncompleteStreamError } from '../../store/checked-stream.ts';
import {
  copiesRecordIsCurrent,
  recordCheckedCopies,
  UNVERIFIED_TABLE,
} from '../../store/copies-record.ts';
import { hasSplitRecords, wholeRawSql } from '../../store/raw-parts.ts';
import { COPIES_SOURCE, STORED_COPIES } from '../../store/stored-copies.ts';
import type { LogSourceRoute } from '../sigma/logsource.ts';
import { LOGSOURCE_ROUTES, routedRule, routeLogSource, routeSources } from '../sigma/logsource.ts';
import type { DetectionRule, SearchNode } from '../sigma/model.ts';
import { type TextRequirement, topLevelRequirement } from '../sigma/prefilter.ts';
import { RuleSet } from '../sigma/rule-set.ts';
import type { DetectionExplanation } from '../types.ts';
import {
  ColumnCounts,
  type ColumnRequirement,
  type ColumnRule,
  columnPrefilterSql,
  columnRequirements,
  planColumnGroups,
  rulesForFullScan,
} from './column-scans.ts';
import { compileConditionSql, type SqlRefusal } from './compile-sql.ts';
import type { SqlDialect } from './dialect.ts';
import { duckdb } from './duckdb.ts';
import { InlineFields, ListScanFields, SCAN_LAYERS, ScalarScanFields } from './field-sources.ts';
import type { FieldSource } from './fields.ts';
import { withWrittenJoinOrder } from './join-order.ts';
import { fitsSql, LARGE_RECORD_BYTES, matchLargeRecords } from './large-records.ts';
import { withMatchTable } from './match-table.ts';
import { readInPages } from './paged-read.ts';
import { type RowRange, rowRanges } from './row-ranges.ts';
import { ScalarRanges, VALUE_BYTES_TABLE } from './scalar-ranges.ts';
import { withTimelineOrder } from './timeline-order.ts';

/** Options for compiling rules to SQL. */
export interface SqlRulesOptions {
  dialect?: SqlDialect;
  /** Logsource routing table; `LOGSOURCE_ROUTES` when absent. */
  routes?: readonly LogSourceRoute[];
  /** Values of `%name%` placeholders for rules that use the `expand` modifier. */
  placeholders?: Readonly<Record<string, readonly string[]>>;
}

/** A rule compiled for one source. */
export interface SqlRule {
  rule: DetectionRule;
  source: string;
  /** Every source the rule runs on: `source` first, then the route's other sources. */
  sources: string[];
  /** Boolean SQL over the scan's field columns (or the inline lookups, for `compileRuleSql`). */
  condition: string;
}

/** A rule the SQL backend did not compile, with the reason code. */
export interface SqlRuleProblem {
  rule: DetectionRule;
  code: string;
  message: string;
}

/**
 * Compiles one rule into a standalone boolean expression over a row of `events` (its `source`
 * and `raw` columns), or returns why it cannot.
 */
export function compileRuleSql(
  rule: DetectionRule,
  options: SqlRulesOptions = {},
): { source: string; sql: string } | SqlRefusal {
  const dialect = options.dialect ?? duckdb;
  const fields = new InlineFields(dialect, dialect.parseJson('raw'));
  const compiled = compileOne(rule, dialect, fields, options);
  if ('code' in compiled) return compiled;

  const sql = `(${sourceTest(compiled, dialect)} AND ${compiled.condition})`;
  return { source: compiled.source, sql };
}

function compileOne(
  rule: DetectionRule,
  dialect: SqlDialect,
  fields: FieldSource,
  options: SqlRulesOptions,
): SqlRule | SqlRefusal {
  const route = routeLogSource(rule.logsource, options.routes ?? LOGSOURCE_ROUTES);
  if (route === null) {
    return { code: 'unknown_logsource', message: 'No source is known for the rule logsource.' };
  }
  const condition = compileConditionSql(routedRule(rule, route), dialect, fields, {
    ...(route.mapField ? { mapField: route.mapField } : {}),
    ...(options.placeholders ? { placeholders: options.placeholders } : {}),
  });
  if (typeof condition !== 'string') return condition;
  return { rule, source: route.source, sources: routeSources(route), condition };
}

/** SQL true for the events of the sources a compiled rule runs on. */
function sourceTest(compiled: SqlRule, dialect: SqlDialect): string {
  const literals = compiled.sources.map((source) => dialect.stringLiteral(source));
  return `source IN (${literals.join(', ')})`;
}

// The connections that already contain each dialect's macros. The macros are temporary, so
// each belongs to one connection. Creating them took DuckDB 1.5 from 0.2 to 0.4 s on two busy
// cores. NOTE: a rolled-back transaction in which a scan created them would leave this map
// wrong, but no caller runs a scan inside a transaction of its own.
const prepared = new WeakMap<DuckDBConnection, Set<SqlDialect>>();

/** Creates the dialect's macros on the connection, unless a scan already did. */
async function prepareConnection(connection: DuckDBConnection, dialect: SqlDialect): Promise<void> {
  const dialects = prepared.get(connection) ?? new Set<SqlDialect>();
  if (dialects.has(dialect)) return;

  for (const statement of dialect.prelude()) await connection.run(statement);
  dialects.add(dialect);
  prepared.set(connection, dialects);
}

// Characters of field and condition SQL per scalar-shape scan, which keeps plans small.
const MAX_SCALAR_SQL = 40_000;

// Scans and their tables identify events by row id in `events`, as `event_row`, instead of
// by uid. A uid contains the name of the event's archive member, which may have thousands of
// characters, and grouping 70,000 such uids of 4,830 characters ran out of the case's 256 MB
// (DuckDB 1.5). Row ids hold while no statement changes `events`.

// Events for which a field some rule reads is not in the scalar shape, with their `event_row`.
const COMPLEX_TABLE = 'temp.sigma_complex_events';
// The row ids of those events, written by the scalar-shape scans.
const COMPLEX_ROWS = 'temp.sigma_complex_rows';
// The row ids of the events whose records some scan left to the in-memory engine as too large.
const LARGE_ROWS = 'temp.sigma_large_rows';
// The row id and matched rule ids of every event some scan matched, one row per scan.
const MATCHED_TABLE = 'temp.sigma_matched';
// The rows of the scan that ran last.
const SCAN_TABLE = 'temp.sigma_scan';
// The rows of the range of row ids that the scans read next, with their `event_row`.
const RANGE_TABLE = 'temp.sigma_range_events';
// The keys of the matches read in timeline order, numbered in that order, while they are read.
const ORDERED_TABLE = 'sigma_ordered_matches';
// The matched events that are read in order, each with the ids of every rule that matched it.
const GROUPED_TABLE = 'temp.sigma_grouped_matches';
// The row ids of the events that several scans matched, while the matches are grouped.
const REPEATED_TABLE = 'temp.sigma_repeated_matches';
// The ranks of the ordered matches that `ScanReaders.orderedInSql` handled.
const HANDLED_TABLE = 'temp.sigma_handled_matches';

interface Batch<Fields> {
  /** The sources of the batch's rules, one per line. Every rule of a batch has the same. */
  sources: string;
  fields: Fields;
  /** For scalar-shape batches: SQL true where some field of the batch is not in that shape. */
  complex: string[];
  /**
   * For scalar-shape batches: per rule, the top-level field and case-folded literals one of
   * which every match has there; null when some rule of the batch has none. For the batches
   * of `#columnBatches`, the requirement on the stored column, which may have prefixes.
   */
  requirements: TextRequirement[] | null;
  /**
   * For the batches of `#columnBatches`: the stored column their rules' requirements test.
   */
  column: string | null;
  /** For the batches of `#columnBatches`: per rule, its requirements on other stored columns. */
  others: ColumnRequirement[][];
  /**
   * For scalar-shape batches of CloudTrail rules that all have requirements on fields with
   * stored copies: true, because the batches of `#columnBatches` replace them when the copies
   * are trusted.
   */
  replaced: boolean;
  /**
   * For list-shape batches: the shape tests of the guards, from the kinds of the values of the
   * fields that the scalar-shape batches read.
   */
  guards: ScalarScanFields | null;
  /**
   * Each rule with its guard, SQL true for the events the batch decides the rule on, and, in
   * list-shape batches, the fields it reads.
   */
  rules: { compiled: SqlRule; guard: string; fields: (string | null)[] }[];
  /** Characters of condition SQL. */
  size: number;
  /** Memory cost of the list-shape fields and conditions, in the dialect's units. */
  cost: number;
}

/**
 * Rules compiled into scans over `events`. Scalar-shape scans decide, for every rule, the
 * events whose fields it reads all have the scalar shape; rules that need one of a few literals
 * in a top-level field skip the events that contain none of them. CloudTrail events keep a
 * copy of some fields in stored columns (`STORED_COPIES`). The copies are trusted when the
 * case's copies record vouches for them, or else after a scan that read every CloudTrail record
 * found each copy equal to its field. Rules that require literals, prefixes or substrings in
 * such fields then test the columns and leave the other records unread. The remaining events (an array
 * on a path, a field holding an array) are copied to a temporary table and decided by
 * list-shape scans, which are exact everywhere but cost far more in DuckDB. Rules with keyword
 * searches always use the list shape, over every event. Records too large for a scan are left
 * to the in-memory engine (see `matchLargeRecords`).
 */
export class SqlScan {
  readonly rules: SqlRule[] = [];
  readonly problems: SqlRuleProblem[] = [];
  readonly #dialect: SqlDialect;
  readonly #scalar: Batch<ScalarScanFields>[] = [];
  readonly #list: Batch<ListScanFields>[] = [];
  readonly #keyword: Batch<ListScanFields>[] = [];
  /** Rules that can test a stored column instead of their field, regrouped before a run. */
  readonly #columnRules: ColumnRule[] = [];
  readonly #options: SqlRulesOptions;
  /** Whether the column prefilters also keep the events whose copies no ingest vouched for. */
  #withUnverified = false;

  constructor(rules: readonly DetectionRule[], options: SqlRulesOptions = {}) {
    this.#dialect = options.dialect ?? duckdb;
    this.#options = options;
    for (const rule of rules) this.#add(rule, options);
  }

  #add(rule: DetectionRule, options: SqlRulesOptions): void {
    const d = this.#dialect;
    const keywords = hasKeywords(rule);
    const route = routeLogSource(rule.logsource, options.routes ?? LOGSOURCE_ROUTES);
    const sources = route === null ? '' : routeSources(route).join('\n');
    // A rule's own memory cost, measured on fields of its own, decides whether it still fits.
    const alone = new ListScanFields(d, 'j');
    const trial = compileOne(rule, d, alone, options);
    const cost = 'code' in trial ? 0 : d.memoryCost(alone.sql() + trial.condition) + 2;
    const listBatch = this.#batch(keywords ? this.#keyword : this.#list, sources, cost, () => {
      return new ListScanFields(d, 'j');
    });
    listBatch.fields.startRule();
    const listed = compileOne(rule, d, listBatch.fields, options);
    const listFields = [...listBatch.fields.touched];
    if ('code' in listed) {
      this.problems.push({ rule, ...listed });
      return;
    }
    this.rules.push(listed);
    listBatch.cost += cost;
    if (keywords) {
      addToBatch(listBatch, listed, 'TRUE', listFields);
      return;
    }

    // The prefilters read one member of the record, so a dotted field cannot serve.
    const routed = route === null ? null : routedRule(rule, route);
    const usable = routed === null ? null : topLevelRequirement(routed, route?.mapField);
    const candidates = routed === null ? [] : columnRequirements(routed, sources, route?.mapField);
    const scalarBatch = this.#scalarBatch(usable !== null, sources, candidates.length > 0);
    const fields = this.#addScalar(
      scalarBatch,
      rule,
      usable && { ...usable, prefixes: new Set(), substrings: new Set() },
    );
    if (candidates.length > 0) this.#columnRules.push({ rule, candidates });

    // The list scan decides the rule only on the events in which some of its fields do not
    // have the scalar shape, and computes the rule's fields only on those. The shape tests
    // read the kinds of the values, so a long string in a field is not written out for them.
    const guards = listBatch.guards ?? new ScalarScanFields(d, 'j', 'g', true);
    listBatch.guards = guards;
    const guard = joinAnd(fields.map((field) => guards.simple(field)));
    addToBatch(listBatch, listed, `NOT ${guard}`, listFields);
  }

  // A scan extracts the fields of all its rules from every event it reads, whatever the
  // event's source, so rules share a batch only with rules of the same sources. Batches of
  // sources that a case lacks are then skipped whole.
  #batch(
    batches: Batch<ListScanFields>[],
    sources: string,
    cost: number,
    create: () => ListScanFields,
  ): Batch<ListScanFields> {
    const last = batches.findLast((batch) => batch.sources === sources);
    if (last !== undefined && last.cost + cost <= this.#dialect.scanBudget) return last;
    const batch = {
      sources,
      fields: create(),
      complex: [],
      requirements: null,
      column: null,
      others: [],
      replaced: false,
      guards: null,
      rules: [],
      size: 0,
      cost: 0,
    };
    batches.push(batch);
    return batch;
  }

  // Rules with a requirement share batches that skip events meeting none of them, apart from
  // the rules that stored columns can replace. The other rules share batches that read every
  // event.
  #scalarBatch(prefiltered: boolean, sources: string, replaced: boolean): Batch<ScalarScanFields> {
    const last = this.#scalar.findLast(
      (batch) =>
        (batch.requirements !== null) === prefiltered &&
        batch.sources === sources &&
        batch.replaced === replaced,
    );
    if (last !== undefined && last.size + last.fields.sqlSize < MAX_SCALAR_SQL) return last;
    const batch = this.#newScalarBatch(prefiltered, sources, null);
    batch.replaced = replaced;
    this.#scalar.push(batch);
    return batch;
  }

  #newScalarBatch(
    prefiltered: boolean,
    sources: string,
    column: string | null,
  ): Batch<ScalarScanFields> {
    const fields = new ScalarScanFields(this.#dialect, 'j');
    const requirements = prefiltered ? [] : null;
    return {
      sources,
      fields,
      complex: [],
      requirements,
      column,
      others: [],
      replaced: false,
      guards: null,
      rules: [],
      size: 0,
      cost: 0,
    };
  }

  /** Compiles a rule into a scalar-shape batch and returns the fields it reads. */
  #addScalar(
    batch: Batch<ScalarScanFields>,
    rule: DetectionRule,
    requirement: TextRequirement | null,
  ): string[] {
    if (requirement !== null) batch.requirements?.push(requirement);
    batch.fields.startRule();
    const scalar = compileOne(rule, this.#dialect, batch.fields, this.#options) as SqlRule;
    const fields = [...batch.fields.touched].filter((field) => field !== null);
    const simples = fields.map((field) => batch.fields.simple(field));
    for (const simple of simples) if (!batch.complex.includes(simple)) batch.complex.push(simple);
    addToBatch(batch, scalar, joinAnd(simples), fields);
    return fields;
  }

  /**
   * Builds the scans of the rules that test stored columns (see `planColumnGroups`), each
   * with SQL under `MAX_SCALAR_SQL`. When `full`, a scan of CloudTrail rules that reads every
   * record, runs anyway, the rules that cost less there (see `rulesForFullScan`) join a copy of
   * it, returned as `full`.
   */
  async #columnBatches(
    connection: DuckDBConnection,
    full: Batch<ScalarScanFields> | undefined,
  ): Promise<{ columns: Batch<ScalarScanFields>[]; full: Batch<ScalarScanFields> | undefined }> {
    const columns = this.#columnRules.flatMap((entry) => entry.candidates.map((c) => c.column));
    const counts = await ColumnCounts.read(connection, this.#dialect, columns);
    let rules = this.#columnRules;
    let joined = full;
    if (full !== undefined) {
      joined = this.#newScalarBatch(false, full.sources, null);
      for (const { compiled } of full.rules) this.#addScalar(joined, compiled.rule, null);
      const moved = new Set<ColumnRule>();
      for (const entry of rulesForFullScan(rules, counts)) {
        if (joined.size + joined.fields.sqlSize >= MAX_SCALAR_SQL) break;
        this.#addScalar(joined, entry.rule, null);
        moved.add(entry);
      }
      rules = rules.filter((entry) => !moved.has(entry));
    }
    const batches: Batch<ScalarScanFields>[] = [];
    for (const group of planColumnGroups(rules, counts)) {
      let batch: Batch<ScalarScanFields> | null = null;
      for (const { rule, requirement, others } of group.rules) {
        if (batch === null || batch.size + batch.fields.sqlSize >= MAX_SCALAR_SQL) {
          batch = this.#newScalarBatch(true, COPIES_SOURCE, group.column);
          batches.push(batch);
        }
        this.#addScalar(batch, rule, requirement);
        batch.others.push(others);
      }
    }
    return { columns: batches, full: joined };
  }

  /**
   * Runs the scans on a connection and returns each matched event once, with the ids of every
   * rule it matched, in timeline order. `withRaw` names rules whose matches carry the raw
   * record. Creates and drops temporary tables on the connection.
   */
  async run(
    connection: DuckDBConnection,
    withRaw: ReadonlySet<string> = new Set(),
    explain?: MatchExplainer,
  ): Promise<ScanMatch[]> {
    const found: ScanMatch[] = [];
    await this.each(connection, {
      ordered: 'all',
      withRaw,
      onOrdered: (match) => void found.push(match),
      ...(explain ? { explain } : {}),
    });
    return found;
  }

  /**
   * Runs the scans on a connection, then reads the matched events back a chunk at a time, so
   * memory does not grow with the number of matches. Each matched event goes once to
   * `readers.onMatch`, in no set order, or the matches go to `readers.onMatchTable` as one
   * relation. The events of the `readers.ordered` rules also go to `readers.onOrdered`, in
   * timeline order. Each reader is awaited before the next event. Creates and drops temporary
   * tables on the connection.
   */
  async each(connection: DuckDBConnection, readers: ScanReaders): Promise<void> {
    if (this.rules.length === 0) return;
    await prepareConnection(connection, this.#dialect);
    const saved: [string, string][] = [];
    // Restores the saved values of `names`, or of every saved setting.
    const restore = async (names?: readonly string[]) => {
      const back = saved.filter(([name]) => names === undefined || names.includes(name));
      for (const entry of back) {
        saved.splice(saved.indexOf(entry), 1);
        await connection.run(`SET ${entry[0]} = ${this.#dialect.stringLiteral(entry[1])}`);
      }
    };
    const work = async () => {
      for (const [name, value] of this.#dialect.scanSettings) {
        const literal = this.#dialect.stringLiteral(name);
        const reader = await connection.runAndReadAll(
          `SELECT current_setting(${literal}) AS value`,
        );
        saved.push([name, String(reader.getRowObjectsJS()[0]?.value ?? '')]);
        await connection.run(`SET ${name} = ${value}`);
      }
      await this.#runScans(connection);
      // The copies of events are no longer needed and would take memory from the reads.
      const copies = [SCAN_TABLE, RANGE_TABLE, COMPLEX_ROWS, COMPLEX_TABLE, LARGE_ROWS];
      for (const table of [...copies, VALUE_BYTES_TABLE]) {
        await connection.run(`DROP TABLE IF EXISTS ${table}`);
      }
      await restore(this.#dialect.scanOnlySettings);
      const only: ReadonlySet<string> | 'all' = readers.unordered ?? 'all';
      if (readers.onMatchTable !== undefined) {
        const input = {
          matched: MATCHED_TABLE,
          rules: only,
          explain: readers.explain,
          explainFirst: readers.explainFirst ?? Number.POSITIVE_INFINITY,
        };
        await withMatchTable(connection, this.#dialect, input, readers.onMatchTable);
      } else if (readers.onMatch !== undefined) {
        await this.#readMatches(connection, readers.onMatch, readers.explain, only, 'none');
      }
      if (readers.onOrdered !== undefined && readers.ordered !== undefined) {
        // The explainer runs once per event: here only when no unordered reader had it.
        const unordered = readers.onMatch !== undefined || readers.onMatchTable !== undefined;
        const explain = unordered ? undefined : readers.explain;
        await this.#readMatches(
          connection,
          readers.onOrdered,
          explain,
          readers.ordered,
          readers.ranked ? 'ranked' : 'sorted',
          readers.withRaw,
          readers.orderedInSql,
        );
      }
    };
    await withCleanup(work, async () => {
      const tables = [
        MATCHED_TABLE,
        SCAN_TABLE,
        RANGE_TABLE,
        COMPLEX_ROWS,
        COMPLEX_TABLE,
        LARGE_ROWS,
        VALUE_BYTES_TABLE,
      ];
      for (const table of tables) {
        await connection.run(`DROP TABLE IF EXISTS ${table}`);
      }
      await restore();
    });
  }

  async #runScans(connection: DuckDBConnection): Promise<void> {
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${MATCHED_TABLE.slice(5)} (
      event_row BIGINT, rule_ids VARCHAR[])`);
    for (const table of [COMPLEX_ROWS, LARGE_ROWS]) {
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${table.slice(5)} (event_row BIGINT)`);
    }
    // Each scan's rows go to a table of its own first. The matched events are kept, and the
    // events some field of a scalar scan is not scalar in are copied for the list-shape scans.
    // The events whose records are too large for a scan are listed for the in-memory engine.
    const collect = async (sql: string) => {
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${SCAN_TABLE.slice(5)} AS ${sql}`);
      await connection.run(`INSERT INTO ${MATCHED_TABLE}
        SELECT event_row, rule_ids FROM ${SCAN_TABLE} WHERE len(rule_ids) > 0`);
      await connection.run(`INSERT INTO ${COMPLEX_ROWS}
        SELECT event_row FROM ${SCAN_TABLE} WHERE complex`);
      await connection.run(`INSERT INTO ${LARGE_ROWS}
        SELECT event_row FROM ${SCAN_TABLE} WHERE large`);
    };
    // Planning a scan's SQL costs about a second of CPU whatever the rows, so scans whose rules
    // are all routed to sources the case lacks are skipped.
    const present = await presentSources(connection);
    const runnable = <Fields>(batches: Batch<Fields>[]) =>
      batches.filter((b) =>
        b.rules.some(({ compiled }) => compiled.sources.some((source) => present.has(source))),
      );
    const scalars = runnable(this.#scalar);
    // The copies are trusted when the case's record vouches for them, or else after a scan that
    // reads every CloudTrail record checked them, which runs first. Scans of rules with
    // requirements on those fields can then read the copies and leave the other records unread.
    const check = await this.#copiesCheck(connection, scalars);
    const withPushdown = (work: () => Promise<void>) =>
      this.#withColumnScanSettings(connection, work);
    const sized = new ScalarRanges(connection, this.#dialect, readPaths(scalars), withPushdown);
    const scalarRanges = (batch: Batch<ScalarScanFields>) => sized.of(batch.fields.paths());
    let copiesHold = check === 'recorded';
    if (check === 'alone') copiesHold = await this.#copiesHoldAlone(connection);
    else if (check !== null && check !== 'recorded') {
      for (const range of await scalarRanges(check)) {
        await collect(
          this.#query(check, await this.#rangeInput(connection, 'events', range), 'check'),
        );
      }
      const reader = await connection.runAndReadAll(
        `SELECT count(*) AS n FROM ${SCAN_TABLE} WHERE NOT copied`,
      );
      copiesHold = Number(reader.getRowObjectsJS()[0]?.n ?? 1) === 0;
    }
    // The check read the records as rules do, so it vouches for the copies of later hunts too.
    if (copiesHold && check !== 'recorded') await recordCheckedCopies(connection);
    this.#withUnverified = check === 'recorded' && (await hasUnverified(connection));
    // A scan that reads every CloudTrail record and has not run yet can take column rules.
    const full = scalars.find(
      (b) => b.requirements === null && !b.replaced && b.sources === COPIES_SOURCE,
    );
    const planned = copiesHold
      ? await this.#columnBatches(connection, full === check ? undefined : full)
      : { columns: [], full: undefined };
    for (const batch of scalars) {
      if (batch === check || (batch.replaced && copiesHold)) continue;
      const scan = (batch === full ? planned.full : undefined) ?? batch;
      for (const range of await scalarRanges(scan)) {
        const input = await this.#rangeInput(connection, 'events', range);
        await collect(this.#query(scan, input, 'plain'));
      }
    }
    if (copiesHold) {
      for (const batch of planned.columns) {
        // Sizing the ranges may set the scan settings again, so it comes first.
        const batchRanges = await scalarRanges(batch);
        for (const [name, value] of this.#dialect.columnScanSettings)
          await connection.run(`SET ${name} = ${value}`);
        await withCleanup(
          async () => {
            for (const range of batchRanges) {
              await collect(this.#query(batch, 'events', 'column', range));
            }
          },
          () => this.#applyScanSettings(connection),
        );
      }
    }
    const lists = runnable(this.#list);
    if (lists.length > 0 && (await this.#copyComplexEvents(connection)) > 0) {
      for (const batch of lists) {
        const bytes = listScanBytes(batch.cost);
        // A record larger than the bound of a vector would exceed it alone, so it is left to
        // the in-memory engine.
        const largest = Math.min(bytes, LARGE_RECORD_BYTES);
        for (const range of await rowRanges(connection, COMPLEX_TABLE, bytes, 'vector')) {
          const input = await this.#rangeInput(connection, COMPLEX_TABLE, range);
          await collect(this.#query(batch, input, 'plain', null, largest));
        }
      }
    }
    const keywords = runnable(this.#keyword);
    // A keyword scan lists each record's values with a subquery over json_tree, and DuckDB
    // keeps every distinct record of the scan's input to join the lists back. One scan of
    // 163,000 CloudTrail records ran out of the case's 256 MB, and so did 32 MB ranges of
    // 256 KB records. So the scan reads 8 MB of records at a time.
    const ranges =
      keywords.length === 0 ? [] : await rowRanges(connection, 'events', KEYWORD_SCAN_BYTES);
    for (const range of ranges) {
      const input = await this.#rangeInput(connection, 'events', range);
      for (const batch of keywords) await collect(this.#query(batch, input, 'plain'));
    }
    await this.#matchLargeRecords(connection);
  }

  /**
   * Matches the records the scans left as too large with the in-memory engine, reading each
   * by its row id with filter pushdown on, so that DuckDB reads only that row's record.
   */
  async #matchLargeRecords(connection: DuckDBConnection): Promise<void> {
    let ruleSet: RuleSet | null = null;
    const { routes, placeholders } = this.#options;
    const match = (uid: string, source: string, record: Record<string, unknown>) => {
      ruleSet ??= new RuleSet(
        this.rules.map((compiled) => compiled.rule),
        {
          ...(routes ? { routes } : {}),
          ...(placeholders ? { placeholders: mutableLists(placeholders) } : {}),
        },
      );
      const event = {
        uid,
        source,
        time: '',
        ruleIds: [],
        raw: record,
        explanations: {},
        rank: null,
      };
      return ruleSet.match(matchEvent(event)).map((found) => found.rule_id);
    };
    for (const [name, value] of this.#dialect.columnScanSettings) {
      await connection.run(`SET ${name} = ${value}`);
    }
    const tables = { rows: LARGE_ROWS, matched: MATCHED_TABLE };
    await withCleanup(
      () => matchLargeRecords(connection, this.#dialect, tables, match),
      () => this.#applyScanSettings(connection),
    );
  }

  /**
   * Returns the table that a scan of the rows of `table` in `range` reads: `table` itself for
   * no range, or else a copy of those rows with their `event_row`. Scans run without filter
   * pushdown, under which a filter on row ids reads every row of `table`: 20 ranges of 16 MB
   * read 20 times the records of the case, and each held about 100 MB more of DuckDB memory
   * than its copy (DuckDB 1.5). The copy is made with filter pushdown, which reads the range
   * only.
   */
  async #rangeInput(
    connection: DuckDBConnection,
    table: string,
    range: RowRange | null,
  ): Promise<string> {
    if (range === null) return table;

    await this.#withColumnScanSettings(connection, async () => {
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${RANGE_TABLE.slice(5)} AS
        SELECT ${withEventRow(table)} FROM ${table}
        WHERE rowid BETWEEN ${range.low} AND ${range.high}`);
    });
    return RANGE_TABLE;
  }

  /** Runs `work` with the dialect's column scan settings, then sets the scan settings again. */
  async #withColumnScanSettings(
    connection: DuckDBConnection,
    work: () => Promise<void>,
  ): Promise<void> {
    for (const [name, value] of this.#dialect.columnScanSettings) {
      await connection.run(`SET ${name} = ${value}`);
    }
    // Only the settings changed here are set back: setting the memory limit took 12 ms.
    const changed = new Set(this.#dialect.columnScanSettings.map(([name]) => name));
    const restore = async () => {
      for (const [name, value] of this.#dialect.scanSettings) {
        if (changed.has(name)) await connection.run(`SET ${name} = ${value}`);
      }
    };
    await withCleanup(work, restore);
  }

  /** Sets the scan settings of the dialect again, after a scan that changed them. */
  async #applyScanSettings(connection: DuckDBConnection): Promise<void> {
    for (const [name, value] of this.#dialect.scanSettings) {
      await connection.run(`SET ${name} = ${value}`);
    }
  }

  /**
   * Reads the events that some rule of `rules` matched, each with the ids of every rule that
   * matched it. With `sorted`, they come in timeline order: time, then evidence hash, archive
   * member (none first) and record index; with `ranked`, in storage order, each with its
   * `rank` in timeline order. Records reach the explainer, and matches of `withRaw` rules keep
   * theirs. Matches that `inSql` handles are not read.
   */
  async #readMatches(
    connection: DuckDBConnection,
    onMatch: (match: ScanMatch) => void | Promise<void>,
    explain: MatchExplainer | undefined,
    rules: ReadonlySet<string> | 'all',
    order: 'none' | 'sorted' | 'ranked',
    withRaw: ReadonlySet<string> = new Set(),
    inSql?: (matches: string, handled: string) => Promise<void>,
  ): Promise<void> {
    const d = this.#dialect;
    const idList = (ids: ReadonlySet<string>) => d.list([...ids].map((id) => d.stringLiteral(id)));
    // The raw record of an event, put together from its parts where it is stored in parts.
    const record = (await hasSplitRecords(connection)) ? wholeRawSql('e') : 'e.raw';
    // The raw record of an event, or NULL where no rule that needs it matched the event.
    const raw = (matches: string) => {
      if (explain !== undefined) return record;
      if (withRaw.size === 0) return 'NULL';
      return `CASE WHEN ${d.listOverlaps(`${matches}.rule_ids`, idList(withRaw))} THEN ${record} END`;
    };
    // Only the events some rule of `rules` matched are grouped, each with the rule ids of all
    // its rows. Grouping every matched event first ran out of the case's 256 MB at 1,000,000
    // events, most of them matched by rules that no correlation reads.
    const filter =
      rules === 'all'
        ? ''
        : `WHERE event_row IN (SELECT event_row FROM ${MATCHED_TABLE}
            WHERE ${d.listOverlaps('rule_ids', idList(rules))})`;
    const matched = `events e JOIN (SELECT event_row, flatten(list(rule_ids)) AS rule_ids
      FROM ${MATCHED_TABLE} ${filter} GROUP BY event_row) m ON e.rowid = m.event_row`;
    const columns = (matches: string) =>
      `e.uid, e.source, epoch_ms(e.time) AS time_ms, ${matches}.rule_ids, ${raw(matches)} AS raw`;
    const read = async (row: Record<string, unknown>) => {
      await onMatch(scanMatch(row, withRaw, explain));
    };
    if (order === 'none') {
      // `events` is the probe side, so no hash table contains the records and uids (see
      // `withWrittenJoinOrder`).
      await withWrittenJoinOrder(connection, () =>
        readStreamed(connection, columns('m'), matched, read),
      );
      return;
    }
    // The grouping is stored before the matches are joined with their events and numbered.
    // Only the events that several scans matched are grouped with a list, because grouping
    // every match that way ran out of the case's 256 MB at 3,000,000 events and 1,100,000
    // matches (DuckDB 1.5), where counting them fits.
    const selected = filter === '' ? 'WHERE TRUE' : filter;
    const group = async () => {
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${REPEATED_TABLE.slice(5)} AS
        SELECT event_row FROM ${MATCHED_TABLE} GROUP BY event_row HAVING count(*) > 1`);
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${GROUPED_TABLE.slice(5)} AS
        SELECT event_row, rule_ids FROM ${MATCHED_TABLE}
          ${selected} AND event_row NOT IN (SELECT event_row FROM ${REPEATED_TABLE})
        UNION ALL
        SELECT event_row, flatten(list(rule_ids)) AS rule_ids FROM ${MATCHED_TABLE}
          ${selected} AND event_row IN (SELECT event_row FROM ${REPEATED_TABLE})
          GROUP BY event_row`);
    };
    await withCleanup(group, () => connection.run(`DROP TABLE IF EXISTS ${REPEATED_TABLE}`));
    const beforePages =
      inSql === undefined
        ? undefined
        : async (table: string) => {
            const matches = `(SELECT k.page_row, k.rule_ids, e.uid, e.time,
                epoch_ms(e.time) AS time_ms, e.raw AS event_raw
              FROM events e JOIN ${table} k ON e.rowid = k.event_row)`;
            const handle = async () => {
              await withWrittenJoinOrder(connection, () => inSql(matches, HANDLED_TABLE.slice(5)));
              await connection.run(`DELETE FROM ${table}
                WHERE page_row IN (SELECT page_row FROM ${HANDLED_TABLE})`);
            };
            await withCleanup(handle, () =>
              connection.run(`DROP TABLE IF EXISTS ${HANDLED_TABLE}`),
            );
          };
    const ranked = order === 'ranked';
    await withCleanup(
      () => readSorted(connection, columns('k'), GROUPED_TABLE, read, ranked, beforePages),
      () => connection.run(`DROP TABLE IF EXISTS ${GROUPED_TABLE}`),
    );
  }

  /**
   * Returns `recorded` when the case's record vouches for the stored copies. Otherwise returns
   * the scan that checks them while it reads every event, which is one whose rules run on
   * CloudTrail events and that column scans do not replace. Returns `alone` when no such scan
   * exists and the copies need a scan of their own, and null when no scan reads the copies or
   * `events` lacks them.
   */
  async #copiesCheck(
    connection: DuckDBConnection,
    scalars: Batch<ScalarScanFields>[],
  ): Promise<Batch<ScalarScanFields> | 'recorded' | 'alone' | null> {
    if (!scalars.some((batch) => batch.replaced)) return null;
    const reader = await connection.runAndReadAll(
      `SELECT column_name AS name FROM duckdb_columns()
       WHERE table_name = 'events' AND schema_name = 'main'`,
    );
    const names = new Set(reader.getRowObjectsJS().map((row) => String(row.name)));
    if (!Object.values(STORED_COPIES).every((name) => names.has(name))) return null;
    if (await copiesRecordIsCurrent(connection)) return 'recorded';
    const check = scalars.find(
      (batch) =>
        batch.requirements === null &&
        !batch.replaced &&
        batch.sources.split('\n').includes(COPIES_SOURCE),
    );
    return check ?? 'alone';
  }

  /**
   * Reads every CloudTrail event once to check its stored copies, for rule sets in which every
   * CloudTrail rule has requirements on fields with copies. Without it, each of their scans
   * would read every record to test its requirements.
   */
  async #copiesHoldAlone(connection: DuckDBConnection): Promise<boolean> {
    const d = this.#dialect;
    const fields = new ScalarScanFields(d, 'j');
    const copied = this.#copiedSql(fields);
    // A record too large to parse here is not checked, so the copies are not vouched for.
    const fits = fitsSql('raw', LARGE_RECORD_BYTES);
    const from = stackLayers(
      `(SELECT *, ${fits} AS fits, CASE WHEN ${fits} THEN raw END AS j FROM events
        WHERE source = ${d.stringLiteral(COPIES_SOURCE)})`,
      fields,
    );
    const reader = await connection.runAndReadAll(
      `SELECT count(*) AS n FROM (SELECT fits AND ${copied} AS copied FROM ${from})
       WHERE NOT copied`,
    );
    return Number(reader.getRowObjectsJS()[0]?.n ?? 1) === 0;
  }

  /**
   * Copies the events whose row ids the scalar scans listed as complex to a temporary table,
   * and returns how many there are.
   */
  async #copyComplexEvents(connection: DuckDBConnection): Promise<number> {
    // The copy reads every event to find the row ids, even when there are none.
    const listed = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${COMPLEX_ROWS}`);
    if (Number(listed.getRowObjectsJS()[0]?.n ?? 0) === 0) return 0;
    await withWrittenJoinOrder(connection, () =>
      connection.run(`CREATE OR REPLACE TEMP TABLE ${COMPLEX_TABLE.slice(5)} AS
        SELECT ${withEventRow('events')} FROM events
        WHERE rowid IN (SELECT event_row FROM ${COMPLEX_ROWS})`),
    );
    const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${COMPLEX_TABLE}`);
    return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
  }

  /**
   * A condition every event that some rule of the batch matches meets: the rule's requirement
   * field holds one of its literals. Values that are not JSON strings (numbers, booleans,
   * arrays, objects, whose text a matcher rewrites) always pass, so the condition only drops
   * events no rule could match. Each field is tested once against the literals of all the
   * rules that require it. A test per rule repeats the field's text extraction and
   * lower-casing: with about 100 rules that took 24 CPU µs an event (DuckDB 1.5, 2-core EPYC).
   */
  #prefilter(requirements: TextRequirement[], table: string): string {
    const d = this.#dialect;
    const literalsByField = new Map<string, Set<string>>();
    for (const requirement of requirements) {
      const literals = literalsByField.get(requirement.field) ?? new Set<string>();
      for (const literal of requirement.values) literals.add(literal);
      literalsByField.set(requirement.field, literals);
    }
    const fields = [...literalsByField.keys()];
    const alternatives = fields.map((field, index) => {
      const value = d.listElement('p_values', index);
      const literals = [...(literalsByField.get(field) ?? [])].map((literal) =>
        d.stringLiteral(literal),
      );
      const text = d.lowerText(d.jsonString(value));
      return (
        `CASE WHEN ${d.jsonIs(value, 'string')} THEN ${text} IN (${literals.join(', ')}) ` +
        `ELSE ${value} IS NOT NULL AND NOT ${d.jsonIs(value, 'null')} END`
      );
    });
    // Records too large to parse pass, and the scan lists them for the in-memory engine.
    const fits = fitsSql('raw', LARGE_RECORD_BYTES);
    const members = d.jsonPathMembers(
      'raw',
      fields.map((field) => [field]),
    );
    const values = `CASE WHEN ${fits} THEN ${members} END`;
    const withValues = `SELECT ${withEventRow(table)}, ${values} AS p_values FROM ${table}`;
    return `(SELECT * FROM (${withValues}) WHERE p_values IS NULL OR ${alternatives.join(' OR ')})`;
  }

  #sources(rules: readonly SqlRule[]): string {
    return [...new Set(rules.flatMap((rule) => rule.sources))]
      .map((source) => this.#dialect.stringLiteral(source))
      .join(', ');
  }

  /**
   * The SELECT of one scan over `table`, which has the columns of `events` and `event_row`.
   * It returns `event_row`, `rule_ids` (the ids of the rules it matched), `complex` (true
   * where some field of the batch is not in the scalar shape) and `large` for each event that
   * matched a rule or is complex or large. `large` is true where the record has more than
   * `largeBytes` of text, which the scan does not parse.
   */
  #query(
    batch: Batch<ScalarScanFields | ListScanFields>,
    table: string,
    mode: ScanMode = 'plain',
    range: RowRange | null = null,
    largeBytes = LARGE_RECORD_BYTES,
  ): string {
    const d = this.#dialect;
    const literal = (text: string) => d.stringLiteral(text);
    const sources = this.#sources(batch.rules.map((rule) => rule.compiled));
    // JSON functions read VARCHAR as JSON; the list shape needs JSON-typed list elements.
    const record = batch.fields instanceof ListScanFields ? d.parseJson('raw') : 'raw';
    // A range of the table's row ids limits the rows read from the table itself, below the
    // prefilters, whose JSON calls would otherwise parse every record of each vector read.
    // Only column scans, which run with filter pushdown, get a range here: the others read a
    // copy of the range's rows (see `#rangeInput`).
    const ranged =
      range === null
        ? table
        : `(SELECT ${withEventRow(table)} FROM ${table}
            WHERE rowid BETWEEN ${range.low} AND ${range.high})`;
    // The prefilters and the range add `event_row` where they read the table.
    let input = ranged;
    let columns = withEventRow(ranged);
    if (mode === 'column') input = this.#columnPrefilter(batch, ranged);
    else if (batch.requirements !== null) input = this.#prefilter(batch.requirements, ranged);
    if (input !== ranged) columns = '*';
    // A record left to the in-memory engine is not checked, so its copies are not vouched for.
    // NOTE: so while the copies record is not current, a case with one such CloudTrail record
    // gets no column scans, and every hunt reads every record.
    const copied =
      mode === 'check' && batch.fields instanceof ScalarScanFields
        ? `(NOT large AND ${this.#copiedSql(batch.fields)})`
        : 'TRUE';
    // A record larger than `largeBytes` is not parsed, so the scan only lists it as `large`.
    const fits = fitsSql('raw', largeBytes);
    const base = `(SELECT ${columns}, NOT ${fits} AS large,
        CASE WHEN ${fits} THEN ${record} END AS j FROM ${input}
        WHERE source IN (${sources}))`;
    const from =
      batch.fields instanceof ListScanFields
        ? stackNeededLayers(base, batch as Batch<ListScanFields>)
        : stackLayers(base, batch.fields);

    // A large record reads as no record here, on which a condition such as `|exists: false`
    // holds, so only the in-memory engine decides the rules on it.
    const cases = batch.rules.map(
      ({ compiled, guard }) =>
        `CASE WHEN NOT large AND ${sourceTest(compiled, d)} AND ${guard} ` +
        `AND coalesce(${compiled.condition}, FALSE) THEN ${literal(compiled.rule.id)} END`,
    );
    const ids = d.listFilter(d.list(cases), (id) => `${id} IS NOT NULL`);
    const complex = batch.complex.length === 0 ? 'FALSE' : `NOT ${joinAnd(batch.complex)}`;
    const rows = `SELECT event_row, ${ids} AS rule_ids, ${complex} AS complex,
      ${copied} AS copied, large FROM ${from}`;
    // With filter pushdown, a filter above the projections would copy their expressions into
    // it. So this scan keeps every row of its input, which the column prefilter made small.
    if (mode === 'column') return rows;
    return `SELECT event_row, rule_ids, complex, copied, large FROM (${rows})
      WHERE ${d.listLength('rule_ids')} > 0 OR complex OR NOT copied OR large`;
  }

  /** Selects the events a column scan reads (see `columnPrefilterSql`). */
  #columnPrefilter(batch: Batch<ScalarScanFields | ListScanFields>, table: string): string {
    const column = batch.column ?? 'NULL';
    const rules = (batch.requirements ?? []).map((requirement, index) => ({
      requirement,
      others: batch.others[index] ?? [],
    }));
    const d = this.#dialect;
    return columnPrefilterSql(d, table, withEventRow(table), column, rules, this.#withUnverified);
  }

  /** Returns SQL true where an event is not CloudTrail or its stored copies equal its fields. */
  #copiedSql(fields: ScalarScanFields): string {
    const copies = Object.entries(STORED_COPIES).map(([field, column]) =>
      fields.copiedTo(field, column),
    );
    return `(source <> ${this.#dialect.stringLiteral(COPIES_SOURCE)} OR ${joinAnd(copies)})`;
  }
}

/** Returns the member paths that the scalar-shape scans of `batches` read, each once. */
function readPaths(batches: Batch<ScalarScanFields>[]): string[][] {
  const paths = new Map<string, string[]>();
  for (const batch of batches) {
    for (const keys of batch.fields.paths()) paths.set(JSON.stringify(keys), keys);
  }
  return [...paths.values()];
}

/** Raw record text that one keyword scan reads at a time (see `rowRanges`). */
const KEYWORD_SCAN_BYTES = 8 * 1024 * 1024;

/** Bytes of memory that the records a list-shape scan parses may take (see `listScanBytes`). */
const LIST_RECORD_MEMORY = 128 * 1024 * 1024;

/**
 * Returns the raw record text that a list-shape scan of memory cost `cost` may read at once,
 * in one vector of rows. Each JSON call site of such a scan keeps the records it parsed from
 * the last vector, so its memory grows with the cost times the text of a vector. On 16 KB
 * CloudTrail records (DuckDB 1.5), a scan of cost about 100, whose shape guards read one
 * `json_type` column, needed 35 MB for 640 KB of records, 65 MB for 1.3 MB and 125 MB for
 * 2.6 MB. Each range also costs the scan's planning again, about 60 ms for that one.
 */
function listScanBytes(cost: number): number {
  return Math.min(KEYWORD_SCAN_BYTES, Math.floor(LIST_RECORD_MEMORY / Math.max(cost, 1)));
}

/**
 * The way a scan reads its input: `plain` as its batch defines, `check` also testing each
 * event's stored copies (`#copiedSql`), `column` prefiltered on the batch's stored column.
 */
type ScanMode = 'plain' | 'check' | 'column';

/**
 * Returns the select list of every column of `table` and `event_row`, the row id in `events`:
 * `events` gives its `rowid`, and the copy of complex events stores it as a column.
 */
function withEventRow(table: string): string {
  return table === 'events' ? '*, rowid AS event_row' : '*';
}

/** Tells whether the case lists events whose copies no ingest vouched for. */
async function hasUnverified(connection: DuckDBConnection): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n FROM (SELECT 1 FROM ${UNVERIFIED_TABLE} LIMIT 1)`,
  );
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0) > 0;
}

async function presentSources(connection: DuckDBConnection): Promise<Set<string>> {
  const reader = await connection.runAndReadAll('SELECT DISTINCT source FROM events');
  return new Set(reader.getRowObjectsJS().map((row) => String(row.source)));
}

/** Rows of matches in timeline order read into JavaScript at once. */
const ORDERED_PAGE = 5_000;

/**
 * Reads the matches in `matches`, a table of `event_row` and `rule_ids`, in timeline order
 * (see `withTimelineOrder`), a page at a time, with the columns of a page over the stored match
 * `k` and its event `e`. Only the sort keys are sorted, so the read's memory does not grow with
 * the number of matches.
 */
async function readSorted(
  connection: DuckDBConnection,
  columns: string,
  matches: string,
  read: (row: Record<string, unknown>) => Promise<void>,
  ranked: boolean,
  beforePages?: (table: string) => Promise<void>,
): Promise<void> {
  await withTimelineOrder(connection, matches, async ({ from, orderBy }) => {
    const query = {
      table: ORDERED_TABLE,
      from,
      rowId: 'm.event_row',
      keys: 'm.rule_ids',
      orderBy,
      columns,
      pageSize: ORDERED_PAGE,
      storageOrder: ranked,
      ...(beforePages === undefined ? {} : { beforePages }),
    };
    await readInPages(connection, query, async (rows) => {
      for (const row of rows) await read(row);
    });
  });
}

/** Reads the rows of `SELECT columns FROM from` as DuckDB streams them, in no set order. */
async function readStreamed(
  connection: DuckDBConnection,
  columns: string,
  from: string,
  read: (row: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  const rows = checkedStream(
    connection,
    `SELECT ${columns} FROM ${from}`,
    undefined,
    (result) => result.yieldRowObjectJs(),
    'matched events',
    `SELECT 1 FROM ${from}`,
  );
  try {
    for await (const chunk of rows) {
      for (const row of chunk) await read(row);
    }
  } catch (error) {
    if (!(error instanceof IncompleteStreamError)) throw error;
    const message =
      `DuckDB returned ${error.returned} of ${error.expected} matched events, so the hunt ` +
      'stopped. Run it again with fewer rules, or on a machine with more free memory.';
    throw new CloudcaseError('scan_incomplete', message);
  }
}

function addToBatch<Fields>(
  batch: Batch<Fields>,
  compiled: SqlRule,
  guard: string,
  fields: (string | null)[],
): void {
  batch.rules.push({ compiled, guard, fields });
  batch.size += compiled.condition.length + guard.length;
}

function stackLayers(from: string, fields: { layer(index: number): string[] } | null): string {
  if (fields === null) return from;
  let result = from;
  for (let layer = 0; layer < SCAN_LAYERS; layer++) {
    const columns = fields.layer(layer);
    if (columns.length > 0) result = `(SELECT *, ${columns.join(', ')} FROM ${result})`;
  }
  return result;
}

/**
 * Stacks the layers of a list-shape batch's fields on `from`, each field computed only on the
 * events on which some rule that reads it is decided there (see the guards of `Batch.rules`).
 * A case with one array among the fields of a scalar-shape scan copies its events to the
 * list-shape scans, which would otherwise extract every field of every rule from them.
 */
function stackNeededLayers(from: string, batch: Batch<ListScanFields>): string {
  const names = new Map<string, string>();
  const needs: string[] = [];
  for (const field of new Set(batch.rules.flatMap((rule) => rule.fields))) {
    const guards = batch.rules
      .filter((rule) => rule.fields.includes(field))
      .map((rule) => rule.guard);
    if (guards.includes('TRUE')) continue;
    const name = `n${names.size}_needed`;
    names.set(JSON.stringify(field), name);
    needs.push(`(${guards.join(' OR ')}) AS ${name}`);
  }
  const guarded = stackLayers(from, batch.guards);
  const needed = needs.length === 0 ? guarded : `(SELECT *, ${needs.join(', ')} FROM ${guarded})`;
  const layers = (index: number) =>
    batch.fields.layer(index, (field) => names.get(JSON.stringify(field)) ?? 'TRUE');
  return stackLayers(needed, { layer: layers });
}

function mutableLists(
  values: Readonly<Record<string, readonly string[]>>,
): Record<string, string[]> {
  return Object.fromEntries(Object.entries(values).map(([name, list]) => [name, [...list]]));
}

function joinAnd(parts: string[]): string {
  return parts.length === 0 ? 'TRUE' : `(${parts.join(' AND ')})`;
}

function hasKeywords(rule: DetectionRule): boolean {
  const visit = (node: SearchNode): boolean =>
    node.kind === 'field' ? node.field === null : node.children.some(visit);
  return Object.values(rule.searches).some(visit);
}

function scanMatch(
  row: Record<string, unknown>,
  withRaw: ReadonlySet<string>,
  explain: MatchExplainer | undefined,
): ScanMatch {
  const uid = String(row.uid);
  const ruleIds = (row.rule_ids as unknown[]).map(String);
  const record = row.raw === null ? null : (JSON.parse(String(row.raw)) as Record<string, unknown>);
  const explanations: Record<string, DetectionExplanation | null> = {};
  if (explain !== undefined && record !== null) {
    for (const id of ruleIds) explanations[id] = explain(id, record);
  }
  const raw = record !== null && ruleIds.some((id) => withRaw.has(id)) ? record : null;
  const time = new Date(Number(row.time_ms)).toISOString();
  const rank = row.page_row === undefined ? null : Number(row.page_row);
  return { uid, time, source: String(row.source), ruleIds, raw, explanations, rank };
}

/** One event a scan matched. */
export interface ScanMatch {
  uid: string;
  source: string;
  /** Event time, ISO 8601 UTC. */
  time: string;
  ruleIds: string[];
  /** The raw record, present when a rule asked for with `withRaw` matched. */
  raw: Record<string, unknown> | null;
  /** The explanation of each matched rule, by rule id, when the scan ran with an explainer. */
  explanations: Record<string, DetectionExplanation | null>;
  /** The event's place among the matches in timeline order, from 1, when read `ranked`. */
  rank: number | null;
}

/** What `SqlScan.each` passes the matched events to. */
export interface ScanReaders {
  /**
   * Receives every matched event once, in no set order. Meanwhile DuckDB joins tables in the
   * written order on the connection (see `withWrittenJoinOrder`).
   */
  onMatch?: (match: ScanMatch) => void | Promise<void>;
  /** Rules whose matched events go to `onMatch`; every rule when absent. */
  unordered?: ReadonlySet<string>;
  /**
   * Receives the SQL of a relation of the matches of the `unordered` rules (see
   * `withMatchTable`), valid until it returns, instead of each event going to `onMatch`.
   */
  onMatchTable?: (relation: string) => Promise<void>;
  /** Number of each rule's earliest matches that `onMatchTable` gets explained; all when absent. */
  explainFirst?: number;
  /** Explains each rule's match for `onMatch` or `onMatchTable`. */
  explain?: MatchExplainer;
  /** Rules whose matched events also go to `onOrdered`, or every rule. */
  ordered?: ReadonlySet<string> | 'all';
  /** Receives the matched events of the `ordered` rules in timeline order. */
  onOrdered?: (match: ScanMatch) => void | Promise<void>;
  /** Rules whose matches carry the raw record to `onOrdered`. */
  withRaw?: ReadonlySet<string>;
  /**
   * Handles ordered matches in SQL before the others go to `onOrdered`. It receives the SQL of a
   * relation of the ordered matches: their rank in timeline order (`page_row`), `rule_ids`, and
   * their event's `uid`, `time`, `time_ms` (epoch milliseconds) and raw record `event_raw`. It
   * also receives the name of a temporary table to create with the `page_row` of each match it
   * handled, and those matches do not reach `onOrdered`. Meanwhile DuckDB joins tables in the
   * written order on the connection (see `withWrittenJoinOrder`).
   */
  orderedInSql?: (matches: string, handled: string) => Promise<void>;
  /**
   * Passes the events to `onOrdered` in the order `events` stores them, each with its `rank` in
   * timeline order, instead of in timeline order. Reading them in that order makes each page
   * read one stretch of `events`.
   */
  ranked?: boolean;
}

/** Explains why a rule matched a raw record, for storage with the detection. */
export type MatchExplainer = (
  ruleId: string,
  record: Record<string, unknown>,
) => DetectionExplanation | null;

/**
 * An event carrying only what correlation state reads (uid, time, source and raw record); the
 * normalized fields are left unknown.
 */
export function matchEvent(match: ScanMatch): Event {
  return {
    uid: match.uid,
    time: match.time,
    source: match.source,
    category: 'audit',
    class_uid: null,
    class_name: null,
    activity: null,
    status: 'unknown',
    status_detail: null,
    actor: emptyActor(),
    src: emptyEndpoint(),
    dst: emptyEndpoint(),
    user_agent: null,
    cloud: { provider: null, account: null, region: null },
    api: { service: null, operation: null, request_id: null, read_only: null },
    resources: [],
    message: '',
    tags: [],
    evidence: { sha256: '', member: null, record: 0, offset: 0 },
    raw: match.raw ?? {},
  } as unknown as Event;
}
