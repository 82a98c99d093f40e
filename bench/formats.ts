/**
 * Per-format ingest benchmark of `npm run bench`. First the parse stage of every format, each
 * in its own process: a generated file of N records streamed through the format's `records()` and
 * `normalize()`, with events per second, CPU seconds and heap growth. Then the real CLI
 * (`investigate --json`, a child process) on generated VPC flow log files of several sizes,
 * with events per second and peak RSS, to show whether memory grows with input size.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { machine, ROOT, runCliChild } from './child-run.ts';
import { writeFlowLogFiles } from './flow-files.ts';
import type { FormatsResult, InvestigateRun, ParseRun } from './formats-result.ts';
import { type FormatGenerator, GENERATORS } from './generate/index.ts';
import { writeResultsPage } from './results-page.ts';

/** Options of the per-format benchmark. */
export interface FormatsOptions {
  /** Records generated for each format's parse stage. */
  records: number;
  /** Line counts of the VPC flow inputs that `investigate` runs on. */
  flowLines: number[];
  seed: number;
  /** Format ids to measure the parse stage of; all formats when null. */
  formats: string[] | null;
  /** Leave the generated files and cases in the temporary folder. */
  keep: boolean;
}

/** `parseArgs` options of the per-format benchmark, shared with `bench/run.ts`. */
export const FORMATS_FLAGS = {
  'format-records': { type: 'string', default: '200000' },
  'flow-lines': { type: 'string', default: '200000,1000000' },
  formats: { type: 'string' },
} as const;

function positiveInteger(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw new Error(`invalid --${flag} value: ${value}; expected a non-negative integer`);
  }
  return number;
}

/** Reads the per-format flags; raises on a count that is no integer or an unknown format. */
export function formatsOptionsOf(
  values: { 'format-records': string; 'flow-lines': string; formats?: string | undefined },
  seed: number,
  keep: boolean,
): FormatsOptions {
  const flowLines = values['flow-lines']
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => positiveInteger('flow-lines', part.trim()));
  const formats = values.formats === undefined ? null : values.formats.split(',');
  for (const id of formats ?? []) {
    if (!GENERATORS.some((generator) => generator.format === id)) {
      const known = GENERATORS.map((generator) => generator.format).join(', ');
      throw new Error(`unknown format in --formats: ${id}; expected some of ${known}`);
    }
  }
  const records = positiveInteger('format-records', values['format-records']);
  return { records, flowLines, seed, formats, keep };
}

const PARSE_CHILD = join(ROOT, 'bench', 'parse-child.ts');

/**
 * Runs one format's parse stage in a fresh Node.js process. In one shared process the formats
 * measured first left the JIT state slower for later ones: Okta's parse stage ran at 15,500
 * events/s after eleven other formats and at 54,000 events/s after one.
 */
function measureParseInChild(
  generator: FormatGenerator,
  dir: string,
  count: number,
  seed: number,
): Promise<ParseRun> {
  const args = ['--import', 'tsx', PARSE_CHILD, generator.format, String(count), String(seed), dir];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (exitCode) => {
      if (exitCode !== 0) {
        fail(new Error(`parse stage of ${generator.format} failed with exit code ${exitCode}`));
        return;
      }
      done(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ParseRun);
    });
  });
}

/** Writes a VPC flow input of `lines` lines and runs `investigate --json` on it. */
async function measureInvestigate(
  work: string,
  lines: number,
  seed: number,
): Promise<InvestigateRun> {
  const logs = join(work, `flow-${lines}`);
  const caseDir = join(work, `case-${lines}`);
  const genStart = performance.now();
  const written = await writeFlowLogFiles(logs, lines, seed);
  const generationSeconds = (performance.now() - genStart) / 1000;

  const args = ['investigate', logs, '--case', caseDir, '--json'];
  const run = await runCliChild(args);
  let summary: { records?: { read?: number; stored?: number }; max_rss_bytes?: number } = {};
  try {
    summary = JSON.parse(run.stdout);
  } catch {
    console.error(`investigate of ${lines} flow lines printed no JSON summary; see its stderr`);
  }
  const read = summary.records?.read ?? 0;
  return {
    lines,
    files: written.files,
    compressed_bytes: written.bytes,
    generation_seconds: generationSeconds,
    command: `node bin/cloudcase.mjs investigate <${written.files} flow log files> --case <dir> --json`,
    exit_code: run.exitCode,
    wall_seconds: run.wallSeconds,
    cpu_seconds: run.cpuSeconds,
    records_read: read,
    records_stored: summary.records?.stored ?? 0,
    events_per_second: read / run.wallSeconds,
    events_per_cpu_second: run.cpuSeconds > 0 ? read / run.cpuSeconds : null,
    max_rss_bytes: typeof summary.max_rss_bytes === 'number' ? summary.max_rss_bytes : null,
    vmhwm_bytes: run.vmhwmBytes,
    load_average: run.loadAverage,
  };
}

/** Runs the per-format benchmark, saves `bench/results/formats-<date>.json` and the page. */
export async function runFormatsBenchmark(options: FormatsOptions): Promise<FormatsResult> {
  const date = new Date().toISOString();
  const loadAtStart = os.loadavg();
  const work = await mkdtemp(join(os.tmpdir(), 'cloudcase-formats-'));
  const parse: ParseRun[] = [];
  const investigate: InvestigateRun[] = [];
  try {
    const chosen = GENERATORS.filter(
      (generator) => options.formats === null || options.formats.includes(generator.format),
    );
    if (options.records > 0) {
      await mkdir(join(work, 'parse'), { recursive: true });
      for (const generator of chosen) {
        const run = await measureParseInChild(
          generator,
          join(work, 'parse'),
          options.records,
          options.seed,
        );
        console.log(
          `parse ${run.format}: ${Math.round(run.events_per_second).toLocaleString('en-US')} events/s, ${run.cpu_seconds.toFixed(1)} CPU s, ${run.rejected} rejected`,
        );
        parse.push(run);
      }
    }
    for (const lines of options.flowLines) {
      const run = await measureInvestigate(work, lines, options.seed);
      console.log(
        `investigate ${lines.toLocaleString('en-US')} flow lines: ${Math.round(run.events_per_second).toLocaleString('en-US')} events/s, peak RSS ${(run.vmhwm_bytes / 2 ** 20).toFixed(0)} MiB`,
      );
      investigate.push(run);
    }
  } finally {
    if (options.keep) console.log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }

  const result: FormatsResult = {
    date,
    command: commandOf(options),
    machine: machine(),
    node: process.version,
    seed: options.seed,
    load_average: { start: loadAtStart, end: os.loadavg() },
    parse,
    investigate,
  };
  await save(result);
  return result;
}

function commandOf(options: FormatsOptions): string {
  const formats = options.formats === null ? '' : ` --formats ${options.formats.join(',')}`;
  return `npm run bench -- --only formats --format-records ${options.records} --flow-lines ${options.flowLines.join(',')} --seed ${options.seed}${formats}`;
}

async function save(result: FormatsResult): Promise<void> {
  const dir = join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const stamp = result.date.slice(0, 19).replace(/:/g, '-');
  const file = join(dir, `formats-${stamp}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  await writeResultsPage(dir, join(ROOT, 'bench', 'RESULTS.md'));
  console.log(`wrote ${file} and bench/RESULTS.md`);
}
