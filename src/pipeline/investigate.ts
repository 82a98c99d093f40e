import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractCaseEntities } from '../analyze/entities/index.ts';
import { runAnalytics, storeAnalyticsResult } from '../analyze/index.ts';
import { runCaseBaselines } from '../baseline/index.ts';
import { type CaseInfo, readCaseInfo } from '../case/case-dir.ts';
import { initCase } from '../case/case-lifecycle.ts';
import { CloudcaseError, causeLine, cleanUpAfter, EXIT, logCleanupErrors } from '../core/errors.ts';
import { sanitizeTerminal } from '../core/escape.ts';
import { collectGarbage } from '../core/heap.ts';
import type { Logger } from '../core/logger.ts';
import { newSpillFolder } from '../detect/sigma-sql/correlation-spill.ts';
import { acquire, type EvidenceItem, openEvidence } from '../evidence/index.ts';
import { runGapAnalysis } from '../gaps/index.ts';
import { runIntel } from '../intel/index.ts';
import { buildReport, type ReportData, writeReports } from '../report/index.ts';
import { isTimeZone, type RecordContext } from '../sources/local-time.ts';
import { copiesAreVouched, writeCopiesRecord } from '../store/copies-record.ts';
import { CaseDb, ingestKey } from '../store/index.ts';
import { IngestDigests } from '../store/ingest-digests.ts';
import { CopiesCheck } from '../store/stored-copies.ts';
import { CaseSink } from './case-sink.ts';
import { ingestStream, type StreamSinks } from './ingest-stream.ts';
import { ParserThread } from './parser-thread.ts';
import { noProgress, type Progress } from './progress.ts';
import { readAhead } from './read-ahead.ts';
import { findingsChangedBeforeRun, recordFindings } from './record-findings.ts';
import { recordStoredEvidence } from './record-stored.ts';
import type { RecordCounts, RuleProblem, RunSummary, StreamSummary } from './types.ts';

/**
 * Evidence items acquired ahead of the one being parsed. Copying and hashing a file is mostly
 * waiting for the disk, and in a folder of thousands of small delivery files that waiting is
 * most of a run, so acquiring ahead overlaps it with parsing.
 */
const ACQUIRE_AHEAD = 8;

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
  /** Analyst running the investigation, recorded in the manifest, ledger and audit trail. */
  analyst?: string;
  progress?: Progress;
  /** `aws cloudtrail list-public-keys` JSON, to check CloudTrail digest signatures. */
  cloudtrailPublicKeys?: string;
  /** CloudTrail digest signatures saved from S3 object metadata; see `loadSignatures`. */
  cloudtrailSignatures?: string;
  /** Threat intel files (STIX 2.1, MISP JSON, CSV or plain lists) matched against the case. */
  intelFiles?: string[];
  /** Values of `%name%` placeholders for rules that use the `expand` modifier. */
  placeholders?: Record<string, string[]>;
}

/** Result of `runInvestigate`: the run's counts and the report built from the whole case. */
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
  const info = await openOrCreateCase(options.caseDir, analyst);
  const context = recordContext(info.timezone, options.caseDir);

  const db = await CaseDb.open(options.caseDir);
  let parser: ParserThread | null = null;
  let spillFolder: string | null = null;
  const cleanUp = async () => {
    progress.stop();
    await parser?.close();
    // The thread removes its spill when it finishes; this covers a run that failed before.
    if (spillFolder !== null) await rm(spillFolder, { recursive: true, force: true });
    await db.close();
  };
  let failed = false;
  try {
    spillFolder = await caseSpillFolder(db);
    parser = await ParserThread.start(
      ruleRoots(options),
      context,
      options.placeholders,
      spillFolder,
    );
    const { meta, loaded, problems } = parser.rules;
    logRuleProblems(problems, logger);
    // Compared before this run writes anything, the rules first.
    const changedBeforeRun = await findingsChangedBeforeRun(db, logger);
    await db.upsertRules(meta);
    await db.recordAudit(analyst, 'investigate', {
      paths: options.paths,
      intel_files: options.intelFiles ?? [],
    });
    const run = newSummary(options.caseDir, startedAt);
    run.rules = { loaded, problems };
    const timer = phaseTimer(logger);
    const running = parser;
    const digests = new IngestDigests();
    const copies = await copiesBeforeIngest(db);
    await db.withIngestMemoryLimit(() =>
      ingestAll(options, analyst, db, running, run, progress, { digests, copies }),
    );
    timer('ingest');
    // The parser thread evaluates the correlations it spilled, then ends before the
    // post-ingest steps instead of holding its memory through them.
    const { hits, heapBytes } = await parser.finish();
    logger.debug('parser thread finished', { heap_mb: Math.round(heapBytes / 1e6) });
    await parser.close();
    parser = null;
    // The rows of the ingest are garbage now; collecting it returns the heap they grew.
    collectGarbage();
    const duplicates = await db.setAsideDuplicates();
    run.duplicates = duplicates.events;
    // Matches of the copies set aside are no longer stored, so they no longer count.
    run.detections.events_matched -= duplicates.matches;
    await recordCopies(db, copies);
    const ingested = new Set(run.streams.map((stream) => stream.sha256));
    await recordStoredEvidence(db, analyst, ingested, digests.digests());

    await db.insertCorrelationHits(hits);
    run.detections.correlation_hits = hits.length;
    timer('correlations');
    await runCaseAnalytics(db, run);
    timer('analytics');
    await extractCaseEntities(db);
    timer('entities');
    run.baselines = await runCaseBaselines(db);
    timer('baselines');
    const intel = await runIntel(db, options.intelFiles ?? [], logger);
    if (intel) run.intel = intel;
    timer('intel');
    await runGapAnalysis(db, {
      publicKeysFile: options.cloudtrailPublicKeys,
      signaturesFile: options.cloudtrailSignatures,
    });
    timer('gaps');
    await recordFindings(db, analyst, 'investigate', changedBeforeRun);
    progress.stop();

    const report = await buildReport(db, run);
    const { files } = await writeReports(options.caseDir, report, db);
    timer('reports');
    run.finished_at = new Date().toISOString();
    run.max_rss_bytes = process.resourceUsage().maxRSS * 1024;
    return { summary: run, report, reportFiles: files };
  } catch (error) {
    // The message shows only a cause that cannot quote evidence; the analyst's debug log
    // shows every cause.
    if (error instanceof CloudcaseError && error.code === 'parser_failed') {
      logger.debug('parser thread failed', { cause: causeLine(error.cause) });
    }
    if (error instanceof CloudcaseError && error.code === 'store_write_failed') {
      logger.debug('storing events failed', { cause: causeLine(error.cause) });
    }
    failed = true;
    // A failed close or removal after the error must not replace it.
    await cleanUpAfter(error, cleanUp);
    logCleanupErrors(logger, error);
    throw error;
  } finally {
    if (!failed) await cleanUp();
  }
}

/**
 * Returns a check of the stored copies of the rows this ingest stores, or null when the copies
 * of the case's events are not vouched for already, so that no record can vouch for them after.
 */
async function copiesBeforeIngest(db: CaseDb): Promise<CopiesCheck | null> {
  const connection = await db.connect();
  try {
    return (await copiesAreVouched(connection)) ? new CopiesCheck() : null;
  } finally {
    connection.closeSync();
  }
}

/**
 * Records that the copies of the case's events are vouched for, when they were before the
 * ingest and the ingest could vouch for its own rows. A record left as it was no longer
 * describes the events when the ingest changed them, so a hunt checks every record instead.
 */
async function recordCopies(db: CaseDb, copies: CopiesCheck | null): Promise<void> {
  if (copies === null || copies.overflow) return;
  const connection = await db.connect();
  try {
    await writeCopiesRecord(connection, copies.unverified);
  } finally {
    connection.closeSync();
  }
}

/** Makes the folder where the parser thread spills correlation occurrences. */
async function caseSpillFolder(db: CaseDb): Promise<string> {
  const connection = await db.connect();
  try {
    return await newSpillFolder(connection);
  } finally {
    connection.closeSync();
  }
}

/**
 * Reads the case, or creates it as `case init` does when the folder holds none yet, so its
 * fields are on the signed ledger from the start and an edit of `case.json` shows in `verify`.
 */
async function openOrCreateCase(caseDir: string, analyst: string): Promise<CaseInfo> {
  try {
    return await readCaseInfo(caseDir);
  } catch (error) {
    if (!(error instanceof CloudcaseError) || error.code !== 'case_not_found') throw error;
  }
  return initCase(caseDir, { analyst }, {});
}

/** The case settings formats read with; a zone this runtime does not know stops the run. */
function recordContext(timezone: string, caseDir: string): RecordContext {
  if (isTimeZone(timezone)) return { timezone };
  throw new CloudcaseError(
    'invalid_timezone',
    `case.json of ${caseDir} names the time zone "${sanitizeTerminal(timezone)}", which is no ` +
      'IANA zone name such as UTC or Europe/Berlin; correct it and run again.',
    EXIT.case,
  );
}

/** Rule folders of a run: the built-in pack unless disabled, then the user's folders. */
function ruleRoots(options: InvestigateOptions): string[] {
  return [...(options.noBuiltinRules ? [] : [BUILTIN_RULES]), ...(options.rulesDirs ?? [])];
}

function logRuleProblems(problems: RuleProblem[], logger: Logger): void {
  for (const { file, line, code } of problems) logger.warn('rule not loaded', { file, line, code });
}

async function ingestAll(
  options: InvestigateOptions,
  analyst: string,
  db: CaseDb,
  parser: ParserThread,
  run: RunSummary,
  progress: Progress,
  checks: { digests: IngestDigests; copies: CopiesCheck | null },
): Promise<void> {
  const { digests } = checks;
  const states = await db.ingestStates();
  const sink = new CaseSink(db, await db.eventWriter(), run);
  const sinks: StreamSinks = {
    writer: sink.writer,
    parser,
    onMatches: (matches) => sink.addMatches(matches),
    onRejected: (record) => sink.addRejected(record),
    onRecord: () => progress.tick(),
    digests,
    ...(checks.copies === null ? {} : { copies: checks.copies }),
  };
  const context: ItemContext = { options, db, states, sink, sinks, run, progress, digests };

  try {
    const acquired = acquire(options.paths, options.caseDir, { logger: options.logger, analyst });
    for await (const result of readAhead(acquired, ACQUIRE_AHEAD)) {
      if (result.kind === 'error') {
        options.logger.warn('input not acquired', { path: result.path, code: result.code });
        run.evidence.failed.push({ path: result.path, code: result.code, reason: result.reason });
        continue;
      }
      if (result.item.isNew) run.evidence.new++;
      else run.evidence.already_present++;
      await ingestItem(result.item, context);
    }
    await sink.durable();
  } finally {
    await sink.writer.close();
  }
}

/** Run state that ingesting one evidence item uses. */
interface ItemContext {
  options: InvestigateOptions;
  db: CaseDb;
  states: Map<string, 'complete' | 'partial'>;
  sink: CaseSink;
  sinks: StreamSinks;
  run: RunSummary;
  progress: Progress;
  digests: IngestDigests;
}

async function ingestItem(item: EvidenceItem, context: ItemContext): Promise<void> {
  for await (const member of openEvidence(context.options.caseDir, item)) {
    if (member.kind === 'error') {
      await recordStreamFailure(context, item, member.member, member.displayName, member);
      continue;
    }

    const { log } = member;
    // Evidence streams start decompressing at once, so an error raised before the parser reads
    // would otherwise be unhandled. The parser still receives it, because iterating an errored
    // stream throws its error.
    log.stream.on('error', () => {});
    const state = context.states.get(ingestKey(item.sha256, log.member));
    if (state === 'complete') {
      // The item has rows stored by an earlier run, which this run does not read.
      context.digests.readStored(item.sha256);
      log.stream.destroy();
      continue;
    }
    // Streams left partial by an older run lose what that run stored before they are re-read.
    if (state === 'partial')
      await context.db.beginIngest(item.sha256, log.member, log.displayName, null);

    context.progress.phase(path.basename(log.displayName));
    const summary = await ingestStream(
      { path: log.displayName, sha256: item.sha256, member: log.member, stream: log.stream },
      context.sinks,
    );
    if (summary.error?.code === 'evidence_modified') {
      await discardModifiedStream(context, summary);
      continue;
    }
    await finishStream(context, summary);
  }
}

/**
 * A hash mismatch is known only at the end of a stream, after its records were stored. Those
 * records no longer match the acquired evidence, so they are removed and counted as rejected.
 */
async function discardModifiedStream(context: ItemContext, summary: StreamSummary): Promise<void> {
  context.options.logger.error('evidence failed its hash check; its records were discarded', {
    path: summary.path,
    sha256: summary.sha256,
  });
  await context.sink.durable();
  await context.db.discardStream(summary.sha256, summary.member);
  context.digests.readStored(summary.sha256);
  await context.sink.addRejected({
    path: summary.path,
    sha256: summary.sha256,
    member: summary.member,
    index: 0,
    offset: 0,
    line: 1,
    code: 'evidence_modified',
    reason: 'the stored evidence no longer matches its SHA-256; run cloudcase verify',
    sample: '',
  });
  addStream(context.run, { ...summary, stored: 0, rejected: summary.read });
}

async function finishStream(context: ItemContext, summary: StreamSummary): Promise<void> {
  const { read, stored, rejected } = summary;
  context.states.set(ingestKey(summary.sha256, summary.member), 'complete');
  addStream(context.run, summary);
  await context.sink.complete({
    sha256: summary.sha256,
    member: summary.member,
    path: summary.path,
    format: summary.format,
    counts: { read, stored, rejected },
  });
}

async function recordStreamFailure(
  context: ItemContext,
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
  // Not marked complete: a missing or unreadable stored copy may be restored before a re-run.
  await context.sink.addRejected({
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
  addStream(context.run, summary);
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
    duplicates: 0,
    detections: { events_matched: 0, correlation_hits: 0 },
    rules: { loaded: 0, problems: [] },
    max_rss_bytes: 0,
  };
}

/** Runs the behaviour analytics over the whole case and stores what they find. */
async function runCaseAnalytics(db: CaseDb, run: RunSummary): Promise<void> {
  const connection = await db.connect();
  const analytics = await runAnalytics(connection).finally(() => connection.closeSync());
  await storeAnalyticsResult(db, analytics);
  run.detections.events_matched += analytics.matches.length;
  run.detections.correlation_hits += analytics.hits.length;
}

/**
 * Logs, at debug level, the seconds each phase took since the previous call, in wall-clock time
 * and in CPU time of every thread of the process, DuckDB's included.
 */
function phaseTimer(logger: Logger): (phase: string) => void {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  return (phase) => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const { heapUsed, rss } = process.memoryUsage();
    logger.debug('phase finished', {
      phase,
      seconds: Math.round(now - last) / 1000,
      cpu_seconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
      heap_mb: Math.round(heapUsed / 1e6),
      rss_mb: Math.round(rss / 1e6),
    });
    last = now;
    lastCpu = process.cpuUsage();
  };
}

function defaultAnalyst(): string {
  return process.env.CLOUDCASE_ANALYST ?? `${os.userInfo().username}@${os.hostname()}`;
}
