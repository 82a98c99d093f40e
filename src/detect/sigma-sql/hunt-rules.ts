/**
 * Runs a rule set over a whole case in SQL: single-event rules through `SqlScan`, and
 * correlation rules over the scan's base-rule matches. The matches become correlation
 * occurrences in a `CorrelationSpill`, evaluated with the in-memory engine's own window code
 * (`correlation-window.ts`), as `investigate` evaluates them, so both backends give the same
 * hits for the same events.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { withCleanup } from '../../core/errors.ts';
import { CorrelationEngine } from '../sigma/correlation-engine.ts';
import type { RuleIssue } from '../sigma/issues.ts';
import type { CorrelationRule, DetectionRule, SigmaRule } from '../sigma/model.ts';
import { RuleSet } from '../sigma/rule-set.ts';
import { storedExplanation } from '../sigma/stored-explanation.ts';
import type { CorrelationHit, EventMatch, RuleMeta } from '../types.ts';
import { CorrelationSpill, newSpillFolder } from './correlation-spill.ts';
import type { SqlDialect } from './dialect.ts';
import { duckdb } from './duckdb.ts';
import { writeOccurrences } from './occurrence-rows.ts';
import { matchEvent, type ScanMatch, type SqlRulesOptions, SqlScan } from './scan.ts';

/** What a hunt found, with every rule that did not run and why. */
export interface HuntOutcome {
  /**
   * Matches of single-event rules that are reported on their own; empty when they went to
   * `HuntSink.onMatchTable` instead.
   */
  matches: EventMatch[];
  hits: CorrelationHit[];
  /** Metadata of every rule that ran, single-event and correlation. */
  rules: RuleMeta[];
  /** Rules that were not run: routing, validation and SQL compile problems. */
  problems: RuleIssue[];
}

/** Receives a hunt's matches as one DuckDB relation instead of its outcome. */
export interface HuntSink {
  /**
   * Receives the SQL of a relation on the hunt's connection with one row per match of a rule
   * that is reported on its own: `rule_id`, `event_uid`, `event_row` (the event's row id in
   * `events`), `time` (TIMESTAMP) and `explanation` (JSON, NULL past the rule's `explained`
   * earliest matches). It is valid until the call returns.
   */
  onMatchTable: (relation: string) => Promise<void>;
  /** Number of each rule's earliest matches (by time, then event uid) that are explained. */
  explained: number;
}

/**
 * Runs the rules over the `events` table on `connection`. Rules are checked the way a rule set
 * for streaming checks them (duplicate ids, routing, correlation references), then compiled to
 * SQL; a rule either backend cannot compile is reported, not run.
 */
export async function huntRules(
  connection: DuckDBConnection,
  rules: readonly SigmaRule[],
  options: SqlRulesOptions = {},
  sink?: HuntSink,
): Promise<HuntOutcome> {
  const checked = new RuleSet([...rules], {
    ...(options.routes ? { routes: options.routes } : {}),
    ...(options.placeholders ? { placeholders: toMutable(options.placeholders) } : {}),
  });
  const problems: RuleIssue[] = [...checked.issues];
  const kept = new Set(checked.meta().map((meta) => meta.id));
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  const detections = [...kept]
    .map((id) => byId.get(id))
    .filter((rule): rule is DetectionRule => rule?.kind === 'detection');
  const correlations = [...kept]
    .map((id) => byId.get(id))
    .filter((rule): rule is CorrelationRule => rule?.kind === 'correlation');

  const scan = new SqlScan(detections, options);
  for (const problem of scan.problems) problems.push(issueOf(problem.rule, problem));
  const compiled = new Set(scan.rules.map((rule) => rule.rule.id));

  const resolve = resolver(rules);
  const order = dependencyOrder(correlations, resolve);
  // Occurrences go to disk, so the correlation state of a case of any size stays out of memory.
  const spill =
    order.length === 0 ? null : await CorrelationSpill.create(await newSpillFolder(connection));
  const work = async () => {
    const engine = new CorrelationEngine(order, resolve, spill ?? undefined);
    const generated = generatedRules(correlations, resolve);
    const dialect = options.dialect ?? duckdb;
    const run = {
      connection,
      dialect,
      scan,
      engine,
      spill,
      checked,
      detections,
      compiled,
      generated,
    };
    const matches = await scanMatches(run, sink);
    const hits = spill === null ? engine.finish() : await spill.evaluate(engine.plan);

    const ran = new Set([...compiled, ...correlations.map((rule) => rule.id)]);
    const meta = checked.meta().filter((rule) => ran.has(rule.id));
    return { matches, hits, rules: meta, problems };
  };
  return withCleanup(work, () => spill?.close());
}

/** Inputs of `scanMatches`: the scan, the correlation engine it feeds and the rules. */
interface ScanRun {
  connection: DuckDBConnection;
  dialect: SqlDialect;
  scan: SqlScan;
  engine: CorrelationEngine;
  /** The spill the engine writes occurrences to, or null when the rules have no correlation. */
  spill: CorrelationSpill | null;
  /** The rule set that checked the rules, whose explainer gives the reasons of matches. */
  checked: RuleSet;
  detections: DetectionRule[];
  /** Ids of the single-event rules that compiled to SQL. */
  compiled: Set<string>;
  /** Ids of the rules that correlations with `generate` report on their own. */
  generated: Set<string>;
}

/**
 * Runs the scans, feeds the correlations' base-rule matches to the engine in timeline order,
 * and returns the matches reported on their own, or hands them to `sink` as one relation.
 */
async function scanMatches(run: ScanRun, sink: HuntSink | undefined): Promise<EventMatch[]> {
  const { connection, scan, engine, spill, checked, detections, compiled, generated } = run;
  const feeding = new Set([...compiled].filter((id) => engine.feeds(id)));

  // Explanations come from the in-memory explainer on the matched record, so both backends
  // give the same reasons.
  const explain = (ruleId: string, record: Record<string, unknown>) =>
    storedExplanation(checked.explainRecord(ruleId, record));
  const order = new Map(detections.map((rule, index) => [rule.id, index]));
  const matches: EventMatch[] = [];
  if (sink === undefined) {
    await scan.each(connection, {
      ordered: 'all',
      withRaw: feeding,
      explain,
      onOrdered: (match) => {
        report(match, order, feeding, generated, matches);
        feed(match, order, engine, feeding);
      },
    });
  } else {
    // The sink counts and stores the matches in SQL, and only each rule's earliest matches are
    // explained. Only the correlations' base rules are read for the correlation windows. They
    // are read in storage order, which reads each stretch of events once, and each event's rank
    // in timeline order orders its occurrences in the spill as reading them in timeline order
    // would. DuckDB writes the occurrences of most events to the spill; the others come with
    // their records, which the engine reads.
    const reported = new Set([...compiled].filter((id) => !feeding.has(id) || generated.has(id)));
    const fed = detections
      .filter((rule) => feeding.has(rule.id))
      .map((rule) => ({ id: rule.id, feeds: engine.feedFields(rule.id) }));
    await scan.each(connection, {
      explain,
      unordered: reported,
      onMatchTable: sink.onMatchTable,
      explainFirst: sink.explained,
      ordered: feeding,
      withRaw: feeding,
      ranked: spill !== null,
      ...(spill === null
        ? {}
        : {
            orderedInSql: (matches: string, handled: string) =>
              writeOccurrences(connection, run.dialect, fed, spill, matches, handled),
          }),
      onOrdered: (match) => {
        if (match.rank !== null) spill?.rank(match.rank);
        feed(match, order, engine, feeding);
      },
    });
  }
  return matches;
}

// The in-memory rule set reports and feeds an event's rules in rule order.
function inRuleOrder(match: ScanMatch, order: Map<string, number>): string[] {
  return [...match.ruleIds].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
}

/** Adds the matches of `match` that are reported on their own to `matches`. */
function report(
  match: ScanMatch,
  order: Map<string, number>,
  feeding: Set<string>,
  generated: Set<string>,
  matches: EventMatch[],
): void {
  for (const id of inRuleOrder(match, order)) {
    if (feeding.has(id) && !generated.has(id)) continue;
    const explanation = match.explanations[id] ?? null;
    matches.push({ rule_id: id, event_uid: match.uid, time: match.time, explanation });
  }
}

/** Adds the matches of `match` that correlations count to the correlation engine. */
function feed(
  match: ScanMatch,
  order: Map<string, number>,
  engine: CorrelationEngine,
  feeding: Set<string>,
): void {
  const ids = inRuleOrder(match, order).filter((id) => feeding.has(id));
  if (ids.length === 0) return;
  const event = matchEvent(match);
  for (const id of ids) engine.add(id, event);
}

/** Orders correlations so that each comes after the correlations it refers to. */
function dependencyOrder(
  correlations: readonly CorrelationRule[],
  resolve: (reference: string) => SigmaRule | undefined,
): CorrelationRule[] {
  const ordered: CorrelationRule[] = [];
  const done = new Set<string>();
  const visit = (rule: CorrelationRule) => {
    if (done.has(rule.id)) return;
    done.add(rule.id);
    for (const reference of rule.rules) {
      const target = resolve(reference);
      if (target?.kind === 'correlation' && correlations.includes(target)) visit(target);
    }
    ordered.push(rule);
  };
  for (const rule of correlations) visit(rule);
  return ordered;
}

function resolver(rules: readonly SigmaRule[]): (reference: string) => SigmaRule | undefined {
  const map = new Map<string, SigmaRule>();
  for (const rule of rules) {
    if (!map.has(rule.id.toLowerCase())) map.set(rule.id.toLowerCase(), rule);
  }
  for (const rule of rules) {
    if (rule.name !== null && !map.has(rule.name.toLowerCase())) {
      map.set(rule.name.toLowerCase(), rule);
    }
  }
  return (reference) => map.get(reference.toLowerCase());
}

/** Ids of the rules that correlations with `generate` report on their own. */
function generatedRules(
  correlations: readonly CorrelationRule[],
  resolve: (reference: string) => SigmaRule | undefined,
): Set<string> {
  const ids = new Set<string>();
  for (const rule of correlations.filter((correlation) => correlation.generate)) {
    for (const reference of rule.rules) {
      const target = resolve(reference);
      if (target !== undefined) ids.add(target.id);
    }
  }
  return ids;
}

function issueOf(rule: SigmaRule, problem: { code: string; message: string }): RuleIssue {
  return {
    code: problem.code,
    severity: 'error',
    file: rule.file,
    line: rule.line,
    field: null,
    message: `The SQL backend cannot run this rule: ${problem.message}`,
  };
}

function toMutable(values: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(values).map(([name, list]) => [name, [...list]]));
}
