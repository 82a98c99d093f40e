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

/**
 * Wall and CPU seconds of one step, with the count it produced where it has one, or the error
 * message when it failed.
 */
export interface StepTiming {
  step: string;
  wall_s: number;
  cpu_s: number;
  count?: number;
  error?: string;
}

// A failed step is recorded with its error, so one failure does not hide the later steps.
async function timed(step: string, work: () => Promise<number | undefined>): Promise<StepTiming> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let outcome: { count?: number; error?: string } = {};
  try {
    const count = await work();
    if (count !== undefined) outcome = { count };
  } catch (error) {
    outcome = { error: error instanceof Error ? error.message : String(error) };
  }
  const used = process.cpuUsage(cpu);

  return {
    step,
    wall_s: Number(((performance.now() - started) / 1000).toFixed(3)),
    cpu_s: Number(((used.user + used.system) / 1e6).toFixed(3)),
    ...outcome,
  };
}

/**
 * Times the CISA report in Markdown and PDF and every export on the case in `caseDir`, which is
 * opened read-only, as `cloudcase report` and `cloudcase export` open it.
 */
export async function benchReport(caseDir: string): Promise<StepTiming[]> {
  const work = await mkdtemp(join(os.tmpdir(), 'cloudcase-bench-report-'));
  const before = new Set(await readdir(cisaFolder(caseDir)).catch(() => [] as string[]));
  const db = await CaseDb.openReadOnly(caseDir);
  const timings: StepTiming[] = [];
  try {
    for (const format of ['md', 'pdf'] as const) {
      timings.push(
        await timed(`report cisa ${format}`, async () => {
          await writeTemplateReport(db, 'cisa', format);
          return undefined;
        }),
      );
    }
    for (const format of EXPORT_FORMATS) {
      const out = join(work, `export-${format}`);
      timings.push(
        await timed(
          `export ${format}`,
          async () => (await exportCase(db, format, out, 'bench')).count,
        ),
      );
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
