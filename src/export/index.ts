/** Exports of a case for other tools: Timesketch timelines, STIX 2.1 indicators, OCSF Parquet. */
import { constants } from 'node:fs';
import { access, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import type { CaseDb } from '../store/case-db.ts';
import { exportOcsfParquet } from './ocsf-parquet.ts';
import { exportStix } from './stix.ts';
import { exportTimesketch } from './timesketch.ts';

export { exportOcsfParquet, OCSF_VERSION, ocsfSelect } from './ocsf-parquet.ts';
export { exportStix, indicatorValues, patternString, stixBundle } from './stix.ts';
export { exportTimesketch, TIMESKETCH_CSV_HEADER, timestampDescription } from './timesketch.ts';

/** Formats of `cloudcase export`. */
export const EXPORT_FORMATS = [
  'timesketch-jsonl',
  'timesketch-csv',
  'stix',
  'ocsf-parquet',
] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Summary of one export: the events written, or for STIX the indicators. */
export interface ExportResult {
  format: ExportFormat;
  out: string;
  count: number;
  unit: 'events' | 'indicators';
}

// An export never replaces a file or writes into a folder that is not empty.
async function requireFreeOutput(out: string, format: ExportFormat): Promise<void> {
  const parent = await stat(path.dirname(out)).catch(() => null);
  if (parent === null || !parent.isDirectory()) {
    throw new CloudcaseError(
      'output_folder_missing',
      `the folder of ${out} does not exist; create it first or choose another --out path`,
      EXIT.usage,
    );
  }
  const found = await stat(out).catch(() => null);
  if (found === null) return requireWritable(path.dirname(out), out);

  const emptyFolder =
    format === 'ocsf-parquet' && found.isDirectory() && (await readdir(out)).length === 0;
  if (emptyFolder) return requireWritable(out, out);
  throw new CloudcaseError(
    'output_exists',
    `${out} already exists; choose a new --out path or remove it first`,
    EXIT.usage,
  );
}

// Checked before the export starts, so that a folder the user cannot write to gets a usage
// error instead of failing after the case was read.
async function requireWritable(folder: string, out: string): Promise<void> {
  const writable = await access(folder, constants.W_OK).then(
    () => true,
    () => false,
  );
  if (writable) return;

  throw new CloudcaseError(
    'output_not_writable',
    `${folder} is not writable, so ${out} cannot be written there; give your user write ` +
      'access to it or choose another --out path',
    EXIT.usage,
  );
}

async function counted(
  format: ExportFormat,
  out: string,
  unit: ExportResult['unit'],
  count: Promise<number>,
): Promise<ExportResult> {
  return { format, out, unit, count: await count };
}

/**
 * Writes one export of the case to `out`, which must not exist yet (or be an empty folder).
 * `out` must be an absolute file path, so that DuckDB cannot take it for a remote URL such as
 * `s3://bucket/key`.
 */
export async function exportCase(
  db: CaseDb,
  format: ExportFormat,
  out: string,
  caseTitle: string,
): Promise<ExportResult> {
  if (!path.isAbsolute(out)) {
    throw new CloudcaseError('invalid_output', `${out} is not an absolute path`, EXIT.internal);
  }
  await requireFreeOutput(out, format);
  try {
    return await writeExport(db, format, out, caseTitle);
  } catch (error) {
    // A half-written export is removed, unless the path was taken by someone else meanwhile.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      await rm(out, { recursive: true, force: true });
    }
    throw error;
  }
}

function writeExport(
  db: CaseDb,
  format: ExportFormat,
  out: string,
  caseTitle: string,
): Promise<ExportResult> {
  switch (format) {
    case 'timesketch-jsonl':
      return counted(format, out, 'events', exportTimesketch(db, 'jsonl', out));
    case 'timesketch-csv':
      return counted(format, out, 'events', exportTimesketch(db, 'csv', out));
    case 'stix':
      return counted(format, out, 'indicators', exportStix(db, caseTitle, out));
    case 'ocsf-parquet':
      return counted(format, out, 'events', exportOcsfParquet(db, out));
  }
}
