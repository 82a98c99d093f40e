/**
 * `hunt`: runs Sigma rules in SQL over a case already ingested, adds their detections and
 * rules to the case, records the run in the audit trail and writes the reports again.
 */

import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { entitiesAreCurrent, extractCaseEntities } from '../analyze/entities/index.ts';
import { readCaseInfo } from '../case/case-dir.ts';
import { CloudcaseError, cleanUpAfter, EXIT, logCleanupErrors } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { loadRules, type RuleIssue, type SigmaRule } from '../detect/sigma/index.ts';
import { type HuntSink, huntRules } from '../detect/sigma-sql/hunt-rules.ts';
import type { DetectionExplanation } from '../detect/types.ts';
import { type IntelRunSummary, runIntel } from '../intel/index.ts';
import { buildReport, writeReports } from '../report/index.ts';
import type { TableDigest } from '../store/findings-digests.ts';
import {
  CaseDb,
  insertMatchRelation,
  type RuleModelRow,
  storedReportPath,
} from '../store/index.ts';
import type { EventExplanation } from '../store/types.ts';
import { BUILTIN_RULES } from './investigate.ts';
import { type FindingsBefore, findingsBeforeRun, recordFindings } from './record-findings.ts';
import type { RuleProblem } from './types.ts';

export interface HuntOptions {
  caseDir: string;
  /** Rule folders or files, read recursively. */
  rulesDirs: string[];
  logger: Logger;
  /** Analyst running the hunt, recorded in the audit trail. */
  analyst?: string;
  /** Threat intel files matched against every event of the case. */
  intelFiles?: string[];
  /** Values of `%name%` placeholders for rules that use the `expand` modifier. */
  placeholders?: Record<string, string[]>;
}

/** The outcome of one rule in a hunt. */
export interface HuntRuleResult {
  id: string;
  title: string;
  level: string;
  file: string;
  kind: 'detection' | 'correlation';
  /** Events matched, or hits found for a correlation. */
  matches: number;
  /** Matches (or hits) the case did not hold before this hunt. */
  added: number;
  /**
   * Explanations of the rule's earliest matches in this hunt (by time, then event uid), at most
   * `MAX_HUNT_EXPLANATIONS`.
   */
  explanations: EventExplanation[];
}

/** Maximum explained matches per rule in a hunt's result. */
export const MAX_HUNT_EXPLANATIONS = 5;

/**
 * Maximum matches of each rule that a hunt explains, the earliest first. Explaining reads the
 * event's raw record, and a rule can match most events of a case. A rule with fewer matches,
 * as most rules that find an attack have, is explained in full.
 */
export const MAX_EXPLAINED_MATCHES = 1_000;

/** What `runHunt` did. */
export interface HuntResult {
  case_dir: string;
  events: number;
  rules: HuntRuleResult[];
  /** Rules that did not load, route or compile, with their reason codes. */
  problems: RuleProblem[];
  /** Single-event matches the case did not hold before. */
  detections_added: number;
  /** Correlation hits the case did not hold before, after each rule's hits were replaced. */
  correlation_hits_added: number;
  seconds: number;
  reports: string[];
  /** The intel files matched, when `intelFiles` named any. */
  intel?: IntelRunSummary;
}

/**
 * Runs the rules under `rulesDirs` over every event of the case. Matches already stored are
 * not stored again, and each correlation's hits replace its earlier ones, so a second hunt with
 * the same rules adds nothing.
 */
export async function runHunt(options: HuntOptions): Promise<HuntResult> {
  const started = performance.now();
  await readCaseInfo(options.caseDir);
  const loaded = await loadRules(options.rulesDirs);
  // A folder with no rule file is a mistyped path, not a hunt that found nothing. A hunt may
  // name no rule folder when it only matches intel files.
  if (loaded.filesRead === 0 && (options.rulesDirs.length > 0 || !options.intelFiles?.length)) {
    const message = `no *.yml or *.yaml rule file under ${options.rulesDirs.join(', ')}`;
    throw new CloudcaseError('no_rule_files', message, EXIT.usage);
  }

  const { rules: huntable, taken } = await withoutBuiltinIds(loaded.rules, options.rulesDirs);
  loaded.rules = huntable;
  loaded.issues.push(...taken);

  const db = await CaseDb.open(options.caseDir);
  const phase = phaseLogger(options.logger);
  let failed = false;
  try {
    const ledgerCheck = await findingsBeforeRun(db, options.logger);
    const changedBeforeRun = ledgerCheck.changed;
    const connection = await db.connect();
    const before = await storedCounts(connection).finally(() => connection.closeSync());
    phase('findings check');
    const scanConnection = await db.connect();
    const huntOptions = options.placeholders ? { placeholders: options.placeholders } : {};
    // Matches are counted and stored in DuckDB, so memory does not grow with their number.
    // Each rule's earliest matches are explained, up to MAX_EXPLAINED_MATCHES.
    let found: FoundMatches = { counts: new Map(), explanations: new Map() };
    const sink: HuntSink = {
      explained: MAX_EXPLAINED_MATCHES,
      onMatchTable: async (relation) => {
        found = await foundMatches(scanConnection, relation);
        await insertMatchRelation(scanConnection, relation);
      },
    };
    const outcome = await huntRules(scanConnection, loaded.rules, huntOptions, sink).finally(() =>
      scanConnection.closeSync(),
    );
    phase('scans and storing');

    await db.upsertRules(outcome.rules);
    const ran = new Set(outcome.rules.map((meta) => meta.id));
    await db.upsertRuleModels(ruleModels(loaded.rules, ran, options.placeholders ?? {}));
    const correlationIds = outcome.rules
      .filter((meta) => loaded.rules.some((r) => r.id === meta.id && r.kind === 'correlation'))
      .map((meta) => meta.id);
    await db.replaceCorrelationHits(correlationIds, outcome.hits);
    // New detections are checkpointed into the database file, which frees the memory their log
    // uses for the steps below under the case's 256 MB limit. A hunt whose rules matched no
    // event stored no detection, and its checkpoint took 0.35 s of mostly waiting for the disk.
    const matched = [...found.counts.values()].reduce((sum, count) => sum + count, 0);
    if (matched > 0) await db.checkpoint();

    const afterConnection = await db.connect();
    const after = await storedCounts(afterConnection).finally(() => afterConnection.closeSync());
    const rules = ruleResults(outcome, found, new Set(correlationIds), before, after);
    const problems = ruleProblems([...loaded.issues, ...outcome.problems]);
    for (const problem of problems) {
      options.logger.warn('rule not run', {
        file: problem.file,
        line: problem.line,
        code: problem.code,
      });
    }
    const added = addedOf(rules, 'detection');
    const hitsAdded = addedOf(rules, 'correlation');
    phase('correlation hits');
    const intel = await runIntel(db, options.intelFiles ?? [], options.logger);
    const counts = await db.counts();
    const events = counts.sources.reduce((sum, row) => sum + row.events, 0);

    // Entities depend on events only. They are extracted again when the case's events are not
    // the ones they were extracted from (an ingest that stopped early, an older version), or
    // when their tables differ from the ledger. Otherwise the digests computed above are kept.
    phase('intel');
    const unchanged = await keptEntityDigests(db, ledgerCheck);
    if (unchanged.size === 0) {
      await extractCaseEntities(db);
      options.logger.debug('entity tables extracted');
    } else {
      options.logger.debug('entity tables kept: extracted from the current events');
    }
    phase('entities');
    const analyst = options.analyst ?? defaultAnalyst();
    await recordFindings(db, analyst, 'hunt', changedBeforeRun, unchanged);
    phase('findings ledger');
    const report = await buildReport(db, null);
    phase('report data');
    const timeline = !(await timelineIsCurrent(options.caseDir, db));
    const { files } = await writeReports(options.caseDir, report, db, { timeline });
    phase('report files');
    // Recorded once the reports are written, so the trail lists only hunts that completed.
    await db.recordAudit(analyst, 'hunt', {
      rules_dirs: options.rulesDirs,
      rules_run: rules.length,
      rules_not_run: problems.length,
      detections_added: added,
      correlation_hits_added: hitsAdded,
      reports: files,
      intel_files: options.intelFiles ?? [],
    });
    const seconds = Math.round(performance.now() - started) / 1000;
    return {
      case_dir: options.caseDir,
      events,
      rules,
      problems,
      detections_added: added,
      correlation_hits_added: hitsAdded,
      seconds,
      reports: files,
      ...(intel ? { intel } : {}),
    };
  } catch (error) {
    failed = true;
    // A failed close after the error must not replace it.
    await cleanUpAfter(error, () => db.close());
    logCleanupErrors(options.logger, error);
    throw error;
  } finally {
    if (!failed) await db.close();
  }
}

/**
 * Returns the models of the single-event rules in `ran`, each with the placeholder values its
 * model names, so that matches stored without an explanation can be explained later.
 */
function ruleModels(
  rules: readonly SigmaRule[],
  ran: ReadonlySet<string>,
  placeholders: Readonly<Record<string, string[]>>,
): RuleModelRow[] {
  const models: RuleModelRow[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'detection' || !ran.has(rule.id)) continue;
    const model = JSON.stringify(rule);
    const named = Object.entries(placeholders).filter(([name]) => model.includes(`%${name}%`));
    models.push({ id: rule.id, model, placeholders: JSON.stringify(Object.fromEntries(named)) });
  }

  return models;
}

/** New stored rows of the rules of one kind: matches of detections, hits of correlations. */
function addedOf(rules: HuntRuleResult[], kind: HuntRuleResult['kind']): number {
  return rules.reduce((sum, rule) => sum + (rule.kind === kind ? rule.added : 0), 0);
}

/** Counts of stored single-event matches and correlation hits, by rule id. */
async function storedCounts(connection: DuckDBConnection): Promise<Map<string, number>> {
  const reader = await connection.runAndReadAll(
    `SELECT rule_id, count(*) AS n FROM detections WHERE hit_id IS NULL GROUP BY rule_id
     UNION ALL SELECT rule_id, count(*) AS n FROM correlation_hits GROUP BY rule_id`,
  );
  const counts = new Map<string, number>();
  for (const row of reader.getRowObjectsJS()) {
    const id = String(row.rule_id);
    counts.set(id, (counts.get(id) ?? 0) + Number(row.n));
  }
  return counts;
}

/** Counts of a hunt's single-event matches by rule, with the explanations of the earliest. */
interface FoundMatches {
  counts: Map<string, number>;
  /** At most `MAX_HUNT_EXPLANATIONS` per rule, by time, then event uid. */
  explanations: Map<string, EventExplanation[]>;
}

/** Reads the counts and earliest explanations of a hunt's matches from their relation. */
async function foundMatches(connection: DuckDBConnection, relation: string): Promise<FoundMatches> {
  const counts = await connection.runAndReadAll(
    `SELECT rule_id, count(*) AS n FROM ${relation} GROUP BY rule_id`,
  );
  const explained = await connection.runAndReadAll(
    `SELECT rule_id, event_uid, CAST(explanation AS VARCHAR) AS explanation
     FROM ${relation} WHERE explanation IS NOT NULL
     QUALIFY row_number() OVER (PARTITION BY rule_id ORDER BY time, event_uid)
       <= ${MAX_HUNT_EXPLANATIONS}
     ORDER BY rule_id, time, event_uid`,
  );
  const found: FoundMatches = { counts: new Map(), explanations: new Map() };
  for (const row of counts.getRowObjectsJS()) found.counts.set(String(row.rule_id), Number(row.n));
  for (const row of explained.getRowObjectsJS()) {
    const id = String(row.rule_id);
    const parsed = JSON.parse(String(row.explanation)) as DetectionExplanation;
    const list = found.explanations.get(id) ?? [];
    list.push({ event_uid: String(row.event_uid), ...parsed });
    found.explanations.set(id, list);
  }
  return found;
}

function ruleResults(
  outcome: Awaited<ReturnType<typeof huntRules>>,
  matched: FoundMatches,
  correlations: Set<string>,
  before: Map<string, number>,
  after: Map<string, number>,
): HuntRuleResult[] {
  const found = new Map(matched.counts);
  for (const hit of outcome.hits) found.set(hit.rule_id, (found.get(hit.rule_id) ?? 0) + 1);

  return outcome.rules.map((meta) => {
    const kind = correlations.has(meta.id) ? 'correlation' : 'detection';
    const added = Math.max(0, (after.get(meta.id) ?? 0) - (before.get(meta.id) ?? 0));
    return {
      id: meta.id,
      title: meta.title,
      level: meta.level,
      file: meta.file,
      kind,
      matches: found.get(meta.id) ?? 0,
      added,
      explanations: matched.explanations.get(meta.id) ?? [],
    };
  });
}

/**
 * Leaves out user rules whose id a built-in rule already has: the case's detections of the
 * built-in rule would otherwise be shown under the user rule's title and level. Hunting with
 * the built-in folder itself keeps every rule.
 */
async function withoutBuiltinIds(
  rules: SigmaRule[],
  rulesDirs: string[],
): Promise<{ rules: SigmaRule[]; taken: RuleIssue[] }> {
  if (rulesDirs.some((dir) => path.resolve(dir) === BUILTIN_RULES)) return { rules, taken: [] };
  const builtin = new Map((await loadRules([BUILTIN_RULES])).rules.map((r) => [r.id, r.file]));
  const taken: RuleIssue[] = [];
  const kept = rules.filter((rule) => {
    const file = builtin.get(rule.id);
    if (file === undefined) return true;
    taken.push({
      code: 'duplicate_id',
      severity: 'error',
      file: rule.file,
      line: rule.line,
      field: 'id',
      message: `The built-in rule ${file} already has id ${rule.id}; this one is skipped.`,
    });
    return false;
  });
  return { rules: kept, taken };
}

function ruleProblems(
  issues: {
    file: string;
    line: number | null;
    code: string;
    severity: 'error' | 'warning';
    message: string;
  }[],
): RuleProblem[] {
  // Warnings of rules that still run (such as `all` on one value) are left out.
  const notRun = new Set(['unknown_logsource', 'source_unavailable', 'duplicate_id']);
  return issues
    .filter((issue) => issue.severity === 'error' || notRun.has(issue.code))
    .map(({ file, line, code, severity, message }) => ({ file, line, code, severity, message }));
}

/** Tables that entity extraction writes. */
const ENTITY_TABLES = ['entities', 'credentials', 'created_principals'];

/**
 * Returns the digests, computed before the run, of the entity tables when the tables can be
 * kept as they are (extracted from the case's current events and equal to the ledger), and an
 * empty map otherwise.
 */
async function keptEntityDigests(
  db: CaseDb,
  before: FindingsBefore,
): Promise<Map<string, TableDigest>> {
  const digests = new Map<string, TableDigest>();
  if (before.digests === null) return digests;
  if (before.changed.some((table) => ENTITY_TABLES.includes(table.table))) return digests;
  const connection = await db.connect();
  const current = await entitiesAreCurrent(connection).finally(() => connection.closeSync());
  if (!current) return digests;
  for (const table of ENTITY_TABLES) {
    const digest = before.digests.get(table);
    if (digest === undefined) return new Map();
    digests.set(table, digest);
  }
  return digests;
}

/**
 * Returns whether `reports/timeline.csv` (or its encrypted copy) was written after every ingest
 * of the case started and ended. A hunt adds no events, so such a timeline is still current.
 * Writing it again took about 4 of a hunt's 18 CPU seconds at 200,000 events.
 */
async function timelineIsCurrent(caseDir: string, db: CaseDb): Promise<boolean> {
  const file = storedReportPath(path.join(caseDir, 'reports', 'timeline.csv'));
  const written = await stat(file).catch(() => null);
  if (written === null) return false;

  const ingests = await db.ingests();
  const times = ingests.flatMap((ingest) => [ingest.started_at, ingest.finished_at ?? '']);
  return times.every((time) => time === '' || Date.parse(time) < written.mtimeMs);
}

/**
 * Returns a function that logs, at debug level, the CPU and wall-clock seconds since its
 * previous call (or its creation) under a phase name. CPU seconds count every thread of the
 * process, DuckDB's included.
 */
function phaseLogger(logger: Logger): (name: string) => void {
  let cpu = process.cpuUsage();
  let wall = performance.now();
  return (name) => {
    const used = process.cpuUsage(cpu);
    const now = performance.now();
    logger.debug('hunt phase done', {
      phase: name,
      cpu_seconds: Math.round((used.user + used.system) / 1e4) / 100,
      wall_seconds: Math.round(now - wall) / 1000,
      rss_mib: Math.round(process.memoryUsage.rss() / 2 ** 20),
    });
    cpu = process.cpuUsage();
    wall = now;
  };
}

function defaultAnalyst(): string {
  return process.env.CLOUDCASE_ANALYST ?? `${os.userInfo().username}@${os.hostname()}`;
}
