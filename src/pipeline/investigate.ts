import os from 'node:os';
import path from 'node:path';
import { ensureCase } from '../case/case-dir.ts';
import type { Logger } from '../core/logger.ts';
import { loadRules, RuleSet } from '../detect/sigma/index.ts';
import { acquire, type EvidenceItem, openEvidence } from '../evidence/index.ts';
import { buildReport, type ReportData, writeReports } from '../report/index.ts';
import { CaseDb } from '../store/index.ts';
import { ingestStream, type StreamSinks } from './ingest-stream.ts';
import { noProgress, type Progress } from './progress.ts';
import type { RecordCounts, RejectedRecord, RunSummary, StreamSummary } from './types.ts';

/** Rejected records kept in the run summary; the case database keeps all of them. */
const SUMMARY_REJECTED_CAP = 1_000;
/** Rejected records are written to the case database in batches of this many. */
const REJECTED_BATCH = 1_000;

/** The built-in rule pack shipped with cloudcase. */
export const BUILTIN_RULES = path.resolve(import.meta.dirname, '../../rules');

export interface InvestigateOptions {
  paths: string[];
  caseDir: string;
  /** Rule folders added to the built-in pack. */
  rulesDirs?: string[];
  /** Leaves out the built-in rule pack. */
  noBuiltinRules?: boolean;
  logger: Logger;
  /** Who runs the investigation, recorded in the manifest, custody ledger and audit trail. */
  analyst?: string;
  progress?: Progress;
}

/** What `runInvestigate` returns: the run's counts and the report built from the whole case. */
export interface InvestigateResult {
  summary: RunSummary;
  report: ReportData;
  /** Paths of the report files written. */
  reportFiles: string[];
}

/**
 * Runs the main job on a case: acquires the inputs as evidence, parses and normalizes every
 * record, matches the rules while streaming, stores events and detections, and writes the
 * reports. Safe to run again on the same inputs: evidence already ingested is skipped.
 */
export async function runInvestigate(options: InvestigateOptions): Promise<InvestigateResult> {
  const startedAt = new Date().toISOString();
  const analyst = options.analyst ?? defaultAnalyst();
  const progress = options.progress ?? noProgress;
  const { logger } = options;
  await ensureCase(options.caseDir);

  const rules = await loadRuleSet(options, logger);
  const db = await CaseDb.open(options.caseDir);
  try {
    await db.upsertRules(rules.meta());
    await db.recordAudit(analyst, 'investigate', { paths: options.paths });
    const run = newSummary(options.caseDir, startedAt);
    await ingestAll(options, analyst, db, rules, run, progress);

    const hits = rules.finish();
    await db.insertCorrelationHits(hits);
    run.detections.correlation_hits = hits.length;
    run.finished_at = new Date().toISOString();
    run.max_rss_bytes = process.resourceUsage().maxRSS * 1024;
    progress.stop();

    const report = await buildReport(db, run);
    const { files } = await writeReports(options.caseDir, report, db);
    return { summary: run, report, reportFiles: files };
  } finally {
    progress.stop();
    await db.close();
  }
}

async function loadRuleSet(options: InvestigateOptions, logger: Logger): Promise<RuleSet> {
  const roots = [...(options.noBuiltinRules ? [] : [BUILTIN_RULES]), ...(options.rulesDirs ?? [])];
  const loaded = await loadRules(roots);
  for (const issue of loaded.issues) {
    if (issue.severity !== 'error') continue;
    logger.warn('rule not loaded', { file: issue.file, line: issue.line, code: issue.code });
  }
  logger.debug('rules loaded', { rules: loaded.rules.length, files: loaded.filesRead });

  return new RuleSet(loaded.rules);
}

async function ingestAll(
  options: InvestigateOptions,
  analyst: string,
  db: CaseDb,
  rules: RuleSet,
  run: RunSummary,
  progress: Progress,
): Promise<void> {
  const writer = await db.eventWriter();
  const rejected = new RejectedSink(db, run);
  const sinks: StreamSinks = {
    writer,
    rules,
    onMatches: async (matches) => {
      run.detections.events_matched += matches.length;
      await db.insertMatches(matches);
    },
    onRejected: (record) => rejected.add(record),
    onRecord: () => progress.tick(),
    flush: async () => {
      await rejected.flush();
      await writer.flush();
    },
  };

  try {
    for await (const result of acquire(options.paths, options.caseDir, {
      logger: options.logger,
      analyst,
    })) {
      if (result.kind === 'error') {
        options.logger.warn('input not acquired', { path: result.path, code: result.code });
        run.evidence.failed.push({ path: result.path, code: result.code, reason: result.reason });
        continue;
      }
      if (result.item.isNew) run.evidence.new++;
      else run.evidence.already_present++;
      await ingestItem(result.item, options, db, sinks, run);
    }
  } finally {
    await sinks.flush();
    await writer.close();
  }
}

async function ingestItem(
  item: EvidenceItem,
  options: InvestigateOptions,
  db: CaseDb,
  sinks: StreamSinks,
  run: RunSummary,
): Promise<void> {
  for await (const member of openEvidence(options.caseDir, item)) {
    if (member.kind === 'error') {
      await recordStreamFailure(run, sinks, item, member.member, member.displayName, member);
      continue;
    }

    const { log } = member;
    // Evidence streams start decompressing at once; an error raised while the ingest state is
    // looked up would otherwise be unhandled. The parser still sees it: iterating an errored
    // stream throws its error.
    log.stream.on('error', () => {});
    const state = await db.ingestState(item.sha256, log.member);
    if (state === 'complete') {
      log.stream.destroy();
      continue;
    }

    (options.progress ?? noProgress).phase(path.basename(log.displayName));
    await db.beginIngest(item.sha256, log.member, log.displayName, null);
    const summary = await ingestStream(
      { path: log.displayName, sha256: item.sha256, member: log.member, stream: log.stream },
      sinks,
    );
    await sinks.flush();
    const { read, stored, rejected } = summary;
    await db.completeIngest(item.sha256, log.member, { read, stored, rejected });
    addStream(run, summary);
  }
}

async function recordStreamFailure(
  run: RunSummary,
  sinks: StreamSinks,
  item: EvidenceItem,
  member: string | null,
  displayName: string,
  failure: { code: string; reason: string },
): Promise<void> {
  const summary: StreamSummary = {
    path: displayName,
    sha256: item.sha256,
    member,
    format: null,
    read: 1,
    stored: 0,
    rejected: 1,
    error: { code: failure.code, reason: failure.reason },
  };
  await sinks.onRejected({
    path: displayName,
    sha256: item.sha256,
    member,
    index: 0,
    offset: 0,
    line: 1,
    code: failure.code,
    reason: failure.reason,
    sample: '',
  });
  addStream(run, summary);
}

function addStream(run: RunSummary, summary: StreamSummary): void {
  run.streams.push(summary);
  addCounts(run.records, summary);
  const key = summary.format ?? 'unrecognised';
  run.sources[key] ??= { read: 0, stored: 0, rejected: 0 };
  addCounts(run.sources[key], summary);
}

function addCounts(total: RecordCounts, part: RecordCounts): void {
  total.read += part.read;
  total.stored += part.stored;
  total.rejected += part.rejected;
}

/** Keeps every rejected record in the case database and the first ones in the run summary. */
class RejectedSink {
  readonly #db: CaseDb;
  readonly #run: RunSummary;
  #batch: RejectedRecord[] = [];

  constructor(db: CaseDb, run: RunSummary) {
    this.#db = db;
    this.#run = run;
  }

  async add(record: RejectedRecord): Promise<void> {
    if (this.#run.rejected.length < SUMMARY_REJECTED_CAP) this.#run.rejected.push(record);
    this.#batch.push(record);
    if (this.#batch.length >= REJECTED_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    await this.#db.insertRejected(batch);
  }
}

function newSummary(caseDir: string, startedAt: string): RunSummary {
  return {
    case_dir: caseDir,
    started_at: startedAt,
    finished_at: startedAt,
    records: { read: 0, stored: 0, rejected: 0 },
    sources: {},
    streams: [],
    evidence: { new: 0, already_present: 0, failed: [] },
    rejected: [],
    detections: { events_matched: 0, correlation_hits: 0 },
    max_rss_bytes: 0,
  };
}

function defaultAnalyst(): string {
  return process.env.CLOUDCASE_ANALYST ?? `${os.userInfo().username}@${os.hostname()}`;
}
