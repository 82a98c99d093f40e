/**
 * Times the gap analysis and threat intel matching on an investigated case, read-only: nothing
 * is stored. `benchGaps(caseDir)` returns the timings; `node --import tsx bench/gaps.ts --case
 * DIR [--indicators N]` prints them as JSON. The intel list is generated: N random IPv4
 * addresses and domains, 100 networks, plus up to 100 source addresses taken from the case so
 * that some indicators match.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeGaps } from '../src/gaps/index.ts';
import { loadIntel, matchIndicators } from '../src/intel/index.ts';
import { CaseDb } from '../src/store/index.ts';

/** Timings of one run, in seconds of wall and CPU time. */
export interface GapsBenchResult {
  events: number;
  gaps: { wall_seconds: number; cpu_seconds: number; findings: number };
  intel: {
    indicators: number;
    load_wall_seconds: number;
    match_wall_seconds: number;
    match_cpu_seconds: number;
    indicators_matched: number;
  };
}

/** Runs the gap analysis and intel matching once on `caseDir` and returns their timings. */
export async function benchGaps(caseDir: string, indicators = 100_000): Promise<GapsBenchResult> {
  const db = await CaseDb.openReadOnly(caseDir);
  const work = await mkdtemp(join(os.tmpdir(), 'cloudcase-bench-gaps-'));
  try {
    const events = (await db.counts()).sources.reduce((sum, row) => sum + row.events, 0);
    const gaps = await timed(() => analyzeGaps(db));

    const list = join(work, 'indicators.txt');
    await writeFile(list, await indicatorList(db, indicators));
    const loaded = await timed(() => loadIntel([list]));
    const connection = await db.connect();
    const matched = await timed(() => matchIndicators(connection, loaded.value.indicators)).finally(
      () => connection.closeSync(),
    );

    return {
      events,
      gaps: {
        wall_seconds: gaps.wall,
        cpu_seconds: gaps.cpu,
        findings: gaps.value.findings.length,
      },
      intel: {
        indicators: loaded.value.indicators.length,
        load_wall_seconds: loaded.wall,
        match_wall_seconds: matched.wall,
        match_cpu_seconds: matched.cpu,
        indicators_matched: matched.value.length,
      },
    };
  } finally {
    await db.close();
    await rm(work, { recursive: true, force: true });
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return {
    value,
    wall: round((performance.now() - started) / 1000),
    cpu: round((used.user + used.system) / 1e6),
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

// A fixed linear congruential sequence, so runs compare on the same list.
async function indicatorList(db: CaseDb, count: number): Promise<string> {
  let state = 1;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state;
  };
  const lines: string[] = [];
  for (let i = 0; i < count / 2; i++) {
    lines.push(`${(next() % 223) + 1}.${next() % 256}.${next() % 256}.${next() % 256}`);
    lines.push(`h${next().toString(36)}.example`);
  }
  for (let i = 0; i < 100; i++) lines.push(`${(next() % 223) + 1}.${next() % 256}.0.0/16`);

  const connection = await db.connect();
  try {
    const rows = await connection.runAndReadAll(
      'SELECT DISTINCT src_ip FROM events WHERE src_ip IS NOT NULL LIMIT 100',
    );
    for (const row of rows.getRowObjectsJS()) lines.push(String(row.src_ip));
  } finally {
    connection.closeSync();
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { case: { type: 'string' }, indicators: { type: 'string', default: '100000' } },
  });
  if (values.case === undefined) throw new Error('missing --case DIR: an investigated case folder');
  const result = await benchGaps(values.case, Number(values.indicators));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
