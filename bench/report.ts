/**
 * Times the report and export work on an investigated case: the CISA report (gathering and
 * Markdown), its PDF, and each export format. Every step is measured in wall and process CPU
 * seconds (CPU covers DuckDB's and Chromium's helper threads in this process, but not the
 * Chromium processes themselves). Outputs go to a temporary folder and the CISA versions it
 * writes into the case's `reports/cisa/` are removed again.
 *
 * `node --import tsx bench/report.ts --case DIR` prints the figures as JSON.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXPORT_FORMATS, exportCase } from '../src/export/index.ts';
import { cisaFolder } from '../src/report/cisa/versions.ts';
import { writeTemplateReport } from '../src/report/index.ts';
import { CaseDb } from '../src/store/index.ts';

/** Wall and CPU seconds of one step, with the count it produced where it has one. */
export interface StepTiming {
  step: string;
  wall_s: number;
  cpu_s: number;
  count?: number;
}

async function timed<T>(step: string, work: () => Promise<T>): Promise<[StepTiming, T]> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  const timing = {
    step,
    wall_s: Number(((performance.now() - started) / 1000).toFixed(3)),
    cpu_s: Number(((used.user + used.system) / 1e6).toFixed(3)),
  };
  return [timing, result];
}

/** Times the CISA report in Markdown and PDF and every export on the case in `caseDir`. */
export async function benchReport(caseDir: string): Promise<StepTiming[]> {
  const work = await mkdtemp(join(os.tmpdir(), 'cloudcase-bench-report-'));
  const before = new Set(await readdir(cisaFolder(caseDir)).catch(() => [] as string[]));
  const db = await CaseDb.open(caseDir);
  const timings: StepTiming[] = [];
  try {
    for (const format of ['md', 'pdf'] as const) {
      const [timing] = await timed(`report cisa ${format}`, () =>
        writeTemplateReport(db, 'cisa', format),
      );
      timings.push(timing);
    }
    for (const format of EXPORT_FORMATS) {
      const out = join(work, `export-${format}`);
      const [timing, result] = await timed(`export ${format}`, () =>
        exportCase(db, format, out, 'bench'),
      );
      timings.push({ ...timing, count: result.count });
    }
  } finally {
    await db.close();
    await rm(work, { recursive: true, force: true });
    const after = await readdir(cisaFolder(caseDir)).catch(() => [] as string[]);
    for (const name of after) {
      if (!before.has(name)) await rm(join(cisaFolder(caseDir), name));
    }
    if (before.size === 0) await rm(cisaFolder(caseDir), { recursive: true, force: true });
  }

  return timings;
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({ options: { case: { type: 'string' } } });
  if (values.case === undefined) throw new Error('missing --case DIR: an investigated case folder');
  process.stdout.write(`${JSON.stringify(await benchReport(values.case), null, 2)}\n`);
}
