/**
 * Server-side time of the workbench's heaviest reads on an investigated case: the first
 * timeline page, a filtered page, the histogram, and a page from the middle of the timeline. Each read runs through the same functions
 * the HTTP handlers call, on the server's own kind of connection, so HTTP and the browser are
 * left out.
 *
 * As a script: `node --import tsx bench/serve.ts --case DIR [--runs N]`, or `--events N` to
 * generate N benign CloudTrail events and investigate them (without rules) first.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBenignDeliveryFiles } from '../src/demo/index.ts';
import { CaseReader } from '../src/server/case-reader.ts';
import { INDEX_FROM_OFFSET, PageIndexCache } from '../src/server/page-index.ts';
import { histogram, type TimelineSelection, timelinePage } from '../src/server/timeline-api.ts';
import { CaseDb } from '../src/store/index.ts';

/** The query of the filtered page: a wildcard, a negation and a CIDR block. */
export const FILTER_QUERY = 'api.operation:Describe* AND NOT status:failure OR src.ip:10.0.0.0/8';

/** Timings of one read, in milliseconds: wall time per run and the median. */
export interface ReadTiming {
  runs_ms: number[];
  median_ms: number;
  /** CPU time of this process over all runs (DuckDB's threads included), in milliseconds. */
  cpu_ms: number;
}

/** Timings of the three reads, as `benchServe` returns them. */
export interface ServeBenchResult {
  case: string;
  events: number;
  first_page: ReadTiming;
  filtered_page: ReadTiming & { events: number };
  histogram: ReadTiming & { buckets: number };
  /** A page from the middle of the case: the first read builds the position index. */
  deep_page: ReadTiming & { offset: number; index_build_ms: number };
}

const PAGE = 200;

async function time(runs: number, read: () => Promise<unknown>): Promise<ReadTiming> {
  const walls: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await read();
    walls.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuStart);
  const sorted = [...walls].sort((a, b) => a - b);

  return {
    runs_ms: walls.map((ms) => Math.round(ms * 10) / 10),
    median_ms: Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 10) / 10,
    cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
  };
}

/**
 * Times the first timeline page, a filtered page and the histogram on an investigated case
 * folder, `runs` times each. The case is opened for writing, as the server does.
 */
export async function benchServe(caseDir: string, runs = 5): Promise<ServeBenchResult> {
  const db = await CaseDb.open(caseDir);
  const reader = new CaseReader(await db.connect());
  try {
    const whole: TimelineSelection = { query: '' };
    const filtered: TimelineSelection = { query: FILTER_QUERY };
    const first = await timelinePage(reader, whole, 0, PAGE);
    const filteredPage = await timelinePage(reader, filtered, 0, PAGE);
    const buckets = await histogram(reader, whole);

    const pages = new PageIndexCache();
    const middle = Math.max(INDEX_FROM_OFFSET, Math.floor((first.total ?? 0) / 2));
    const build = await time(1, () => timelinePage(reader, whole, middle, PAGE, pages));

    return {
      case: caseDir,
      events: first.total ?? 0,
      first_page: await time(runs, () => timelinePage(reader, whole, 0, PAGE)),
      filtered_page: {
        ...(await time(runs, () => timelinePage(reader, filtered, 0, PAGE))),
        events: filteredPage.total ?? 0,
      },
      histogram: {
        ...(await time(runs, () => histogram(reader, whole))),
        buckets: buckets.buckets.length,
      },
      deep_page: {
        ...(await time(runs, () => timelinePage(reader, whole, middle + PAGE, PAGE, pages))),
        offset: middle + PAGE,
        index_build_ms: build.median_ms,
      },
    };
  } finally {
    await reader.close();
    await db.close();
  }
}

function investigate(logs: string, caseDir: string): Promise<void> {
  const cli = resolve(import.meta.dirname, '../bin/cloudcase.mjs');
  const args = ['investigate', logs, '--case', caseDir, '--no-builtin-rules', '--json'];
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done() : fail(new Error(`investigate exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      case: { type: 'string' },
      events: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '5' },
      keep: { type: 'boolean', default: false },
    },
  });
  let caseDir = values.case;
  let work: string | null = null;
  if (caseDir === undefined) {
    work = await mkdtemp(join(os.tmpdir(), 'cloudcase-bench-serve-'));
    caseDir = join(work, 'case');
    await writeBenignDeliveryFiles(join(work, 'logs'), { count: Number(values.events) });
    await investigate(join(work, 'logs'), caseDir);
  }

  const result = await benchServe(caseDir, Number(values.runs));
  process.stdout.write(`${JSON.stringify({ ...result, load_average: os.loadavg() }, null, 2)}\n`);
  if (work !== null && !values.keep) await rm(work, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
