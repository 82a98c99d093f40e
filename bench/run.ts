/**
 * `npm run bench`: generates N benign CloudTrail events as delivery files, runs the real CLI
 * `investigate --json` on them as a child process, and records throughput and peak memory in
 * `bench/results/investigate-<date>.json` and `bench/RESULTS.md`. On the case it made, it times
 * the analyses (`bench/analyses.ts`; `--no-analyses` skips them) and `hunt` with the built-in
 * pack and with the SigmaHQ cloud rules (`bench/hunt.ts`, `hunt-<date>.json`; `--no-hunt` skips
 * them). Then it times the in-memory Sigma matcher on N events (`bench/matcher.ts`,
 * `matcher-<date>.json`) and runs the per-format benchmark of `bench/formats.ts`, which writes
 * `bench/results/formats-<date>.json`.
 *
 * Flags: `--events N` (default 1,000,000; also the matcher's and hunt's event count), `--seed N`
 * (default 1), `--keep` to leave the generated logs and case in the temporary folder, and
 * `--only investigate|formats|matcher|hunt` to run one part; `--only hunt` generates and
 * ingests its own case. The per-format part reads `--format-records N` (default 200,000),
 * `--flow-lines A,B` (default 200000,1000000) and `--formats ID,ID` (default all).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBenignDeliveryFiles } from '../src/demo/index.ts';
import { type AnalysesResult, benchAnalyses } from './analyses.ts';
import { type ChildRun, machine, ROOT, runCliChild } from './child-run.ts';
import {
  FORMATS_FLAGS,
  type FormatsOptions,
  formatsOptionsOf,
  runFormatsBenchmark,
} from './formats.ts';
import { benchHuntOnNewCase, benchHunts, saveHunt } from './hunt.ts';
import { benchMatcher, type MatcherResult } from './matcher.ts';
import { type BenchResult, writeResultsPage } from './results-page.ts';

const PARTS = ['investigate', 'formats', 'matcher', 'hunt'] as const;

interface Flags {
  events: number;
  seed: number;
  keep: boolean;
  /** Skips timing the analyses on the ingested case. */
  noAnalyses: boolean;
  /** Skips timing hunts on the ingested case. */
  noHunt: boolean;
  only: (typeof PARTS)[number] | null;
  formats: FormatsOptions;
}

function parseFlags(): Flags {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
      'no-analyses': { type: 'boolean', default: false },
      'no-hunt': { type: 'boolean', default: false },
      only: { type: 'string' },
      ...FORMATS_FLAGS,
    },
  });
  const events = Number(values.events);
  if (!Number.isInteger(events) || events < 1) {
    throw new Error(`invalid --events value: ${values.events}; expected a positive integer`);
  }
  const only = PARTS.find((part) => part === values.only) ?? null;
  if (values.only !== undefined && only === null) {
    throw new Error(`invalid --only value: ${values.only}; expected ${PARTS.join(', ')}`);
  }
  const seed = Number(values.seed);
  const formats = formatsOptionsOf(values, seed, values.keep);
  return {
    events,
    seed,
    keep: values.keep,
    noAnalyses: values['no-analyses'],
    noHunt: values['no-hunt'],
    only,
    formats,
  };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const runs = (part: (typeof PARTS)[number]) =>
    (flags.only === null || flags.only === part) && process.exitCode === undefined;
  if (runs('investigate')) await benchInvestigate(flags);
  if (runs('matcher')) await saveMatcher(await benchMatcher(flags.events, flags.seed));
  if (flags.only === 'hunt') {
    await saveHunt(await benchHuntOnNewCase(flags.events, flags.seed, flags.keep));
  }
  if (runs('formats')) await runFormatsBenchmark(flags.formats);
}

async function benchInvestigate(flags: Flags): Promise<void> {
  const work = await mkdtemp(join(os.tmpdir(), 'cloudcase-bench-'));
  const logs = join(work, 'logs');
  const caseDir = join(work, 'case');
  try {
    console.log(`generating ${flags.events.toLocaleString('en-US')} events in ${logs}`);
    const genStart = performance.now();
    const written = await writeBenignDeliveryFiles(logs, { count: flags.events, seed: flags.seed });
    const genSeconds = (performance.now() - genStart) / 1000;
    console.log(`generated ${written.files.length} files in ${genSeconds.toFixed(1)} s`);

    const args = ['investigate', logs, '--case', caseDir, '--json'];
    const run = await runCliChild(args);
    const summary = parseSummary(run.stdout);
    // A run that printed no summary measured nothing, so it must not land in the results.
    if (summary === null) {
      process.exitCode = 1;
      return;
    }
    const result = toResult(flags.events, written, genSeconds, run, summary, args);
    await save(result);
    console.log(JSON.stringify(result.investigate, null, 2));
    if (!flags.noAnalyses) {
      const analyses = await benchAnalyses(caseDir, flags.events);
      await saveAnalyses(analyses);
    }
    if (!flags.noHunt) {
      const command = `npm run bench -- --events ${flags.events} --seed ${flags.seed}`;
      await saveHunt(await benchHunts(caseDir, flags.events, command));
    }
  } finally {
    if (flags.keep) console.log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

function parseSummary(stdout: string): Record<string, unknown> | null {
  try {
    return JSON.parse(stdout);
  } catch {
    console.error('investigate printed no JSON summary; see its stderr above');
    return null;
  }
}

function toResult(
  events: number,
  written: { files: unknown[]; bytes: number },
  genSeconds: number,
  run: ChildRun,
  summary: Record<string, unknown>,
  args: string[],
): BenchResult {
  const records = (summary.records ?? {}) as { read?: number; stored?: number };
  const read = records.read ?? 0;
  return {
    date: new Date().toISOString(),
    command: `node bin/cloudcase.mjs ${args.join(' ')} (logs from npm run bench -- --events ${events})`,
    machine: machine(),
    node: process.version,
    events,
    generation: { seconds: genSeconds, files: written.files.length, bytes: written.bytes },
    investigate: {
      exit_code: run.exitCode,
      wall_seconds: run.wallSeconds,
      events_per_second: read / run.wallSeconds,
      records_read: read,
      records_stored: records.stored ?? 0,
      max_rss_bytes: typeof summary.max_rss_bytes === 'number' ? summary.max_rss_bytes : null,
      vmhwm_bytes: run.vmhwmBytes,
      cpu_seconds: run.cpuSeconds,
      load_average: run.loadAverage,
    },
  };
}

async function saveMatcher(result: MatcherResult): Promise<void> {
  const dir = join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const stamp = result.date.slice(0, 19).replace(/:/g, '-');
  const file = join(dir, `matcher-${stamp}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  await writeResultsPage(dir, join(ROOT, 'bench', 'RESULTS.md'));
  console.log(`matched ${Math.round(result.events_per_second)} events/s; wrote ${file}`);
}

async function saveAnalyses(result: AnalysesResult): Promise<void> {
  const dir = join(ROOT, 'bench', 'results');
  const stamp = result.date.slice(0, 19).replace(/:/g, '-');
  const file = join(dir, `analyses-${stamp}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  await writeResultsPage(dir, join(ROOT, 'bench', 'RESULTS.md'));
  console.log(`wrote ${file} and bench/RESULTS.md`);
}

async function save(result: BenchResult): Promise<void> {
  const dir = join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  // Date and time to the second, so that several runs of one day keep their own files.
  const stamp = result.date.slice(0, 19).replace(/:/g, '-');
  const file = join(dir, `investigate-${stamp}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  await writeResultsPage(dir, join(ROOT, 'bench', 'RESULTS.md'));
  console.log(`wrote ${file} and bench/RESULTS.md`);
}

await main();
