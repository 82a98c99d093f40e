import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseDb } from '../store/case-db.ts';
import { writeFindingsJson } from './findings-json.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import type { ReportData } from './types.ts';

/**
 * Writes `reports/report.md`, `report.html`, `findings.json` (see `writeFindingsJson`) and
 * `timeline.csv` (every event, streamed from the store) into the case folder. With
 * `timeline: false`, the timeline already written is kept: a command that adds no events
 * passes it when the file is current. Returns the paths of the four reports.
 */
export async function writeReports(
  caseDir: string,
  data: ReportData,
  db: CaseDb,
  options: { timeline?: boolean } = {},
): Promise<{ files: string[] }> {
  const dir = join(caseDir, 'reports');
  await mkdir(dir, { recursive: true });

  const files = {
    markdown: join(dir, 'report.md'),
    html: join(dir, 'report.html'),
    findings: join(dir, 'findings.json'),
    timeline: join(dir, 'timeline.csv'),
  };
  await writeFile(files.markdown, renderMarkdown(data));
  await writeFile(files.html, renderHtml(data));
  await writeFindingsJson(files.findings, data.findings, db);

  if (options.timeline !== false) await db.exportTimelineCsv(files.timeline);

  return { files: Object.values(files) };
}
