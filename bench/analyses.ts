/**
 * The analyses of an investigated case, timed one after another on the case that the
 * CloudTrail run of `npm run bench` just ingested: entity extraction and scope, behaviour
 * baselines, gap analysis and intel matching, the workbench's reads, and the CISA report with
 * its PDF and the exports. Each result is kept as its benchmark returns it, in
 * `bench/results/analyses-<date>.json`, and the results page lists the numeric figures.
 */
import os from 'node:os';
import { benchBaselines } from './baselines.ts';
import { benchGaps } from './gaps.ts';
import { benchReport } from './report.ts';
import { benchScope } from './scope.ts';
import { benchServe } from './serve.ts';

/** One analysis benchmark's outcome: its result, or the message of the error that stopped it. */
export type AnalysisOutcome = { result: unknown } | { error: string };

export interface AnalysesResult {
  date: string;
  events: number;
  /** One-minute load averages when the analyses started and when they ended. */
  load_average: [number, number];
  analyses: Record<string, AnalysisOutcome>;
}

const ANALYSES: [string, (caseDir: string) => Promise<unknown>][] = [
  ['entities and scope', benchScope],
  ['baselines', benchBaselines],
  ['gaps and intel', (caseDir) => benchGaps(caseDir)],
  ['workbench reads', (caseDir) => benchServe(caseDir, 5)],
  ['CISA report and exports', benchReport],
];

/** Runs every analysis benchmark on `caseDir`; a failing one is recorded and the rest still run. */
export async function benchAnalyses(caseDir: string, events: number): Promise<AnalysesResult> {
  const started = os.loadavg()[0] ?? 0;
  const analyses: Record<string, AnalysisOutcome> = {};
  for (const [name, run] of ANALYSES) {
    console.log(`timing ${name}`);
    try {
      analyses[name] = { result: await run(caseDir) };
    } catch (error) {
      analyses[name] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  return {
    date: new Date().toISOString(),
    events,
    load_average: [started, os.loadavg()[0] ?? 0],
    analyses,
  };
}

/** Every numeric figure of a result with its path, such as `entities.cpu_seconds`. */
export function figures(value: unknown, prefix = ''): [string, number][] {
  if (typeof value === 'number') return [[prefix, value]];
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => figures(item, `${prefix}[${labelOf(item) ?? i}]`));
  }
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    figures(item, prefix === '' ? key : `${prefix}.${key}`),
  );
}

// A list item names itself by its step or by the kind of indicator it scoped.
function labelOf(item: unknown): string | null {
  if (typeof item !== 'object' || item === null) return null;
  const { step, indicator } = item as { step?: unknown; indicator?: { kind?: unknown } };
  if (typeof step === 'string') return step;
  return typeof indicator?.kind === 'string' ? indicator.kind : null;
}

/** The results page section of the newest analyses run. */
export function analysesSection(result: AnalysesResult): string[] {
  const [start, end] = result.load_average;
  const lines = [
    '## Analyses of the investigated case',
    '',
    `Run ${result.date} on the ${result.events.toLocaleString('en-US')}-event case of the CloudTrail`,
    `run, load ${start.toFixed(1)} → ${end.toFixed(1)}. Seconds are wall-clock unless the name says`,
    'CPU; the JSON file has every figure.',
    '',
    '| analysis | figure | value |',
    '|---|---|---|',
  ];
  for (const [name, outcome] of Object.entries(result.analyses)) {
    if ('error' in outcome) {
      lines.push(`| ${name} | error | ${outcome.error.replace(/\|/g, '\\|').slice(0, 200)} |`);
      continue;
    }
    for (const [path, value] of figures(outcome.result)) {
      if (!/seconds|_s$|_ms$|median|events|rows|findings|anomalies/.test(path)) continue;
      lines.push(`| ${name} | ${path} | ${Number.isInteger(value) ? value : value.toFixed(3)} |`);
    }
  }
  lines.push('');
  return lines;
}
