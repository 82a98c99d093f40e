/**
 * Timing of the behaviour baselines on a case that `investigate` already built. The exported
 * function opens the case, runs every baseline query (GeoIP enrichment included) and stores
 * the anomalies, as `investigate` does at its end, and returns the seconds of each step.
 *
 * Run it by itself with `node --import tsx bench/baselines.ts --case DIR`; it prints the
 * result as JSON. The case must not be open in another process.
 */
import { parseArgs } from 'node:util';
import { runBaselines } from '../src/baseline/index.ts';
import { CaseDb } from '../src/store/index.ts';

/** Timings of one baseline run. */
export interface BaselineBenchResult {
  case_dir: string;
  events: number;
  anomalies: number;
  /** Wall-clock seconds of the whole run. */
  seconds: number;
  /** CPU seconds of this process during the run, all threads together (DuckDB's included). */
  cpu_seconds: number;
  /** Wall-clock seconds per step: `geoip`, `prepare`, one per anomaly kind, `store`. */
  steps: Record<string, number>;
}

/** Runs the baselines on the investigated case in `caseDir` and returns their timings. */
export async function benchBaselines(caseDir: string): Promise<BaselineBenchResult> {
  const db = await CaseDb.open(caseDir);
  const connection = await db.connect();
  try {
    const counted = await connection.runAndReadAll('SELECT count(*) FROM events');
    const events = Number(counted.getRowsJS()[0]?.[0] ?? 0);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await runBaselines(connection);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);

    return {
      case_dir: caseDir,
      events,
      anomalies: result.summary.total,
      seconds: Math.round(seconds * 1000) / 1000,
      cpu_seconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
      steps: result.timings,
    };
  } finally {
    connection.closeSync();
    await db.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { case: { type: 'string' } } });
  if (values.case === undefined) {
    throw new Error('missing --case DIR: give the folder of an investigated case');
  }
  console.log(JSON.stringify(await benchBaselines(values.case), null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
