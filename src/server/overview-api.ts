/** The Overview and Detections views' data: coverage, counts, findings and the ATT&CK matrix. */
import { readCaseInfo } from '../case/case-dir.ts';
import { LEVELS, type Level } from '../detect/types.ts';
import { readCaseFields } from '../report/case-fields.ts';
import { logCoverage } from '../report/coverage.ts';
import { reportingDeadlines } from '../report/deadlines.ts';
import type { CaseDb } from '../store/index.ts';
import type { Finding } from '../store/types.ts';

/** Case, reporting clocks, coverage, counts, time range and detections per severity. */
export async function overview(db: CaseDb) {
  const info = await readCaseInfo(db.caseDir);
  const counts = await db.counts();
  const findings = await db.findings();

  const bySeverity = severityTotals(findings, await db.severityEvents());
  const firsts = counts.sources.map((row) => row.first_time).sort();
  const lasts = counts.sources.map((row) => row.last_time).sort();
  // The same clocks as the CLI and the reports: 72 hours from discovery until `reported_at`,
  // and 24 hours from a ransom payment when the case records one.
  const deadlines = reportingDeadlines(await readCaseFields(db.caseDir));

  return {
    case: { id: info.id, title: info.title, phase: info.phase, discovered_at: info.discovered_at },
    reporting: { deadlines },
    events: counts.events,
    time_range: { first: firsts[0] ?? null, last: lasts.at(-1) ?? null },
    sources: counts.sources,
    coverage: logCoverage(counts.categories),
    rejected_total: counts.rejected_total,
    detections_by_severity: bySeverity,
    rules_matched: findings.length,
  };
}

/** Rules matched and rule and event counts of one severity or one heat-map cell. */
export interface DetectionTotals {
  /** Rules that matched. */
  rules: number;
  /** Distinct events those rules detected; an event two of them detected counts once. */
  events: number;
}

/**
 * Counts, per severity, the rules that matched and the distinct events they detected
 * (`events`, from `CaseDb.severityEvents`), the units the report's severity table uses too.
 */
export function severityTotals(
  findings: Finding[],
  events: Record<Level, number>,
): Record<string, DetectionTotals> {
  const rules = new Map<string, number>(LEVELS.map((level) => [level, 0]));
  for (const finding of findings) {
    rules.set(finding.severity, (rules.get(finding.severity) ?? 0) + 1);
  }

  return Object.fromEntries(
    LEVELS.map((level) => [level, { rules: rules.get(level) ?? 0, events: events[level] }]),
  );
}

/**
 * Findings per rule, most severe first, without their event lists, and a tactic × technique
 * matrix with the rules of each cell and the distinct events they detected (see
 * `CaseDb.techniqueCells`).
 */
export async function detections(db: CaseDb) {
  const findings = await db.findings();
  return { rules: ruleRows(findings), matrix: await db.techniqueCells() };
}

/** Actors of a rule that the detections view names; `actor_count` counts them all. */
export const SHOWN_RULE_ACTORS = 5;

/**
 * Turns findings into the rows of the detections view. A rule that matched a password spray
 * has one actor per name tried, up to 16 KiB each, so only the first few are sent: 1,000 such
 * actors made an answer of 16 MB.
 */
export function ruleRows(findings: readonly Finding[]) {
  return findings.map(({ event_count, actors, ...rest }) => ({
    ...rest,
    events: event_count,
    actors: actors.slice(0, SHOWN_RULE_ACTORS),
    actor_count: actors.length,
  }));
}
