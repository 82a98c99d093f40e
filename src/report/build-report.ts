import { LEVELS, type Level } from '../detect/types.ts';
import { readGapReport } from '../gaps/gap-store.ts';
import { readIntelReport } from '../intel/index.ts';
import type { RecordCounts, RunSummary } from '../pipeline/types.ts';
import { formatOfSource } from '../sources/index.ts';
import type { CaseDb } from '../store/case-db.ts';
import type { CaseCounts, SourceCount } from '../store/types.ts';
import { condenseAttackTimeline } from './attack-timeline.ts';
import { attackSection } from './attack-vector.ts';
import { loadBaselineReport } from './baselines.ts';
import { readCaseFields } from './case-fields.ts';
import { logCoverage } from './coverage.ts';
import { reportingDeadlines } from './deadlines.ts';
import { buildSections } from './sections.ts';
import type { ReportData, SourceRow } from './types.ts';

/** Maximum entries in the attack timeline of a report. */
export const ATTACK_TIMELINE_LIMIT = 500;

/** Detected events read to build the attack timeline, before condensing. */
const DETECTED_EVENTS_READ = 10_000;

/** Maximum rejected records listed in a report; `rejected_total` has the full count. */
export const REJECTED_LIMIT = 1000;

// Source name of the row for ingests whose format was not recognised.
const UNRECOGNISED = 'unrecognised';

/** Gathers the report contents from the case store and, when given, the run just finished. */
export async function buildReport(db: CaseDb, run: RunSummary | null): Promise<ReportData> {
  const counts = await db.counts();
  const findings = await db.findings();
  const detected = await db.detectedEvents(DETECTED_EVENTS_READ);
  const rejected = await db.rejected(REJECTED_LIMIT);
  const evidence = await db.ingests();
  const now = new Date();

  const severityCounts = Object.fromEntries(LEVELS.map((level) => [level, 0])) as Record<
    Level,
    number
  >;
  for (const finding of findings) severityCounts[finding.severity] += 1;
  const severityEvents = await db.severityEvents();

  return {
    generated_at: now.toISOString(),
    case_dir: db.caseDir,
    run,
    totals: sumCounts(counts.ingests),
    sources: sourceRows(counts),
    coverage: logCoverage(counts.categories),
    findings,
    severity_counts: severityCounts,
    severity_events: severityEvents,
    attack: await attackSection(db),
    attack_timeline: condenseAttackTimeline(detected, ATTACK_TIMELINE_LIMIT),
    rejected,
    rejected_total: counts.rejected_total,
    rejected_by_code: counts.rejected,
    evidence,
    baselines: await loadBaselineReport(db),
    deadlines: reportingDeadlines(await readCaseFields(db.caseDir), now),
    sections: await buildSections(db),
    gaps: await readGapReport(db),
    intel: await readIntelReport(db),
  };
}

function sumCounts(rows: readonly RecordCounts[]): RecordCounts {
  const total = { read: 0, stored: 0, rejected: 0 };
  for (const row of rows) {
    total.read += row.read;
    total.stored += row.stored;
    total.rejected += row.rejected;
  }

  return total;
}

// Sources appear when completed ingests recorded them or the case holds events of them. Ingests
// without a format get an "unrecognised" row only when they rejected records, because cases from
// versions that did not record the format at completion have NULL for well-formed streams too.
function sourceRows(counts: CaseCounts): SourceRow[] {
  const unrecognised = counts.ingests.filter((row) => row.format === null && row.rejected > 0);
  const stored = storedByFormat(counts.sources);
  const names = new Set<string>([
    ...stored.keys(),
    ...counts.ingests.flatMap((row) => (row.format === null ? [] : [row.format])),
    ...(unrecognised.length > 0 ? [UNRECOGNISED] : []),
  ]);

  return [...names].sort().map((source) => {
    const events = stored.get(source);
    const ingested =
      source === UNRECOGNISED
        ? unrecognised
        : counts.ingests.filter((row) => row.format === source);

    return {
      source,
      records: sumCounts(ingested),
      events: events?.events ?? 0,
      first_time: events?.first_time ?? null,
      last_time: events?.last_time ?? null,
    };
  });
}

// Events are counted under the format that read them, so one Azure Monitor export is one row
// though its events are `azure.activity`, `azure.signin` and `azure.audit`.
function storedByFormat(rows: readonly SourceCount[]): Map<string, SourceCount> {
  const byFormat = new Map<string, SourceCount>();
  for (const row of rows) {
    const name = formatOfSource(row.source)?.id ?? row.source;
    const found = byFormat.get(name);
    if (found === undefined) {
      byFormat.set(name, { ...row, source: name });
      continue;
    }
    found.events += row.events;
    if (row.first_time < found.first_time) found.first_time = row.first_time;
    if (row.last_time > found.last_time) found.last_time = row.last_time;
  }
  return byFormat;
}
