import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { caseCipher } from '../evidence/case-cipher.ts';
import type { CaseDb } from '../store/case-db.ts';
import { buildReport } from './build-report.ts';
import { readCaseFields } from './case-fields.ts';
import { buildCisaReport } from './cisa/fields.ts';
import { gatherCisaInputs } from './cisa/gather.ts';
import { renderCisaHtml, renderCisaMarkdown } from './cisa/render.ts';
import type { CisaReport } from './cisa/types.ts';
import {
  contentDigest,
  latestCisaRecord,
  nextCisaVersion,
  writeCisaRecord,
  writeCisaVersion,
} from './cisa/versions.ts';
import { buildCustodyReport, renderCustodyHtml, renderCustodyMarkdown } from './custody-report.ts';
import { type Deadline, reportingDeadlines } from './deadlines.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { printPdf } from './pdf.ts';

/** Report templates of `cloudcase report`. */
export const TEMPLATES = ['cisa', 'summary', 'custody'] as const;
export type Template = (typeof TEMPLATES)[number];

/** Output formats of `cloudcase report`. */
export const FORMATS = ['md', 'html', 'pdf', 'json'] as const;
export type ReportFormat = (typeof FORMATS)[number];

/** The report file that `writeTemplateReport` wrote, with the clocks and CISA fields. */
export interface WrittenReport {
  template: Template;
  format: ReportFormat;
  file: string;
  deadlines: Deadline[];
  /** The CISA report, for the `cisa` template. */
  cisa: CisaReport | null;
}

/** A report's renderings; only the one asked for is called. */
interface Renderings {
  markdown(): string;
  html(): string;
  json(): unknown;
}

async function render(format: ReportFormat, renderings: Renderings): Promise<string | Uint8Array> {
  switch (format) {
    case 'md':
      return renderings.markdown();
    case 'html':
      return renderings.html();
    case 'json':
      return `${JSON.stringify(renderings.json(), null, 2)}\n`;
    case 'pdf':
      return printPdf(renderings.html());
  }
}

// Two processes may build a version at once; the loser takes the next number.
const VERSION_ATTEMPTS = 5;

async function writeCisa(db: CaseDb, format: ReportFormat, now: Date): Promise<WrittenReport> {
  const fields = await readCaseFields(db.caseDir);
  const deadlines = reportingDeadlines(fields, now);
  const inputs = await gatherCisaInputs(db);
  // An encrypted case stores each version encrypted; opening its database checked the key.
  const cipher = await caseCipher(db.caseDir);
  const renderings = (report: CisaReport) => ({
    markdown: () => renderCisaMarkdown(report),
    html: () => renderCisaHtml(report),
    json: () => report,
  });

  // The latest version in a format it lacks, when the case still says the same: one version
  // can be filed as PDF and kept as JSON.
  const latest = await latestCisaRecord(db.caseDir);
  if (latest !== null && !latest.formats.has(format)) {
    const { version, supersedes } = latest.record;
    const report = buildCisaReport(inputs, fields, deadlines, { version, supersedes }, now);
    if (contentDigest(report) === latest.record.content_sha256) {
      const content = await render(format, renderings(report));
      const file = await writeCisaVersion(db.caseDir, version, format, content, cipher);
      return { template: 'cisa', format, file, deadlines, cisa: report };
    }
  }

  for (let attempt = 1; ; attempt += 1) {
    const version = await nextCisaVersion(db.caseDir, cipher);
    const report = buildCisaReport(inputs, fields, deadlines, version, now);
    const content = await render(format, renderings(report));
    try {
      const file = await writeCisaVersion(db.caseDir, version.version, format, content, cipher);
      await writeCisaRecord(db.caseDir, {
        version: version.version,
        content_sha256: contentDigest(report),
        supersedes: version.supersedes,
      });
      return { template: 'cisa', format, file, deadlines, cisa: report };
    } catch (error) {
      const taken = (error as NodeJS.ErrnoException).code === 'EEXIST';
      if (!taken || attempt === VERSION_ATTEMPTS) throw error;
    }
  }
}

async function writeFixed(
  caseDir: string,
  name: string,
  format: ReportFormat,
  renderings: Renderings,
): Promise<string> {
  const folder = path.join(caseDir, 'reports');
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, `${name}.${format}`);
  await writeFile(file, await render(format, renderings));

  return file;
}

/**
 * Builds one report of a case and writes it under `reports/`: the summary report as
 * `report.<format>`, the custody report as `custody.<format>`, and each CISA report as a new
 * numbered version in `reports/cisa/`, so earlier versions stay as they were filed. Raises
 * `case_not_writable` when the file system does not let the user write there, such as in a
 * case folder that another user owns or that sits on read-only media.
 */
export async function writeTemplateReport(
  db: CaseDb,
  template: Template,
  format: ReportFormat,
  now: Date = new Date(),
): Promise<WrittenReport> {
  try {
    return await writeReport(db, template, format, now);
  } catch (error) {
    throw reportsNotWritable(db.caseDir, error) ?? error;
  }
}

const PERMISSION_CODES = new Set(['EACCES', 'EPERM', 'EROFS']);

// The coded error for a write under `reports/` that file permissions rejected, else null.
function reportsNotWritable(caseDir: string, error: unknown): CloudcaseError | null {
  const { code, path: target } = error as NodeJS.ErrnoException;
  const reports = path.join(caseDir, 'reports');
  const inReports = target === reports || target?.startsWith(`${reports}${path.sep}`) === true;
  if (code === undefined || !PERMISSION_CODES.has(code) || !inReports) return null;

  return new CloudcaseError(
    'case_not_writable',
    `the reports folder of case ${caseDir} is not writable (${code}); give your user write ` +
      'access to it, or copy the case to a writable disk and run the command on the copy',
    EXIT.case,
    { cause: error },
  );
}

async function writeReport(
  db: CaseDb,
  template: Template,
  format: ReportFormat,
  now: Date,
): Promise<WrittenReport> {
  if (template === 'cisa') return writeCisa(db, format, now);

  const deadlines = reportingDeadlines(await readCaseFields(db.caseDir), now);
  if (template === 'custody') {
    const report = await buildCustodyReport(db.caseDir, now);
    const file = await writeFixed(db.caseDir, 'custody', format, {
      markdown: () => renderCustodyMarkdown(report),
      html: () => renderCustodyHtml(report),
      json: () => report,
    });
    return { template, format, file, deadlines, cisa: null };
  }

  const data = await buildReport(db, null);
  const file = await writeFixed(db.caseDir, 'report', format, {
    markdown: () => renderMarkdown(data),
    html: () => renderHtml(data),
    json: () => data,
  });
  return { template, format, file, deadlines, cisa: null };
}
