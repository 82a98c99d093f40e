/** Lists and serves the generated report files of `<case>/reports/`. */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { casePaths } from '../case/case-dir.ts';
import { ENCRYPTED_EXTENSION, readEncryptedReport } from '../store/encrypted-files.ts';
import { HttpError } from './http.ts';

/** Largest report file the preview shows as text, in bytes; larger files are download only. */
export const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.pdf': 'application/pdf',
};

/** One report file. */
export interface ReportFile {
  name: string;
  bytes: number;
  modified: string;
  /** Workbench preview mode: text, a sandboxed page, or none. */
  preview: 'text' | 'html' | 'none';
  /**
   * File name of the download: the base name, without `.enc` for an encrypted report, because
   * the workbench sends it decrypted.
   */
  download_name: string;
}

/**
 * Lists the regular files of the case's `reports/` folder and of its folders one level down,
 * such as `cisa/cisa-v0001.md`. Links are not followed.
 */
export async function listReports(caseDir: string): Promise<ReportFile[]> {
  const folder = casePaths(caseDir).reports;
  const files: ReportFile[] = [];
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isFile()) files.push(await reportFile(folder, entry.name));
    if (!entry.isDirectory()) continue;
    const inner = await readdir(path.join(folder, entry.name), { withFileTypes: true });
    for (const file of inner) {
      if (file.isFile()) files.push(await reportFile(folder, `${entry.name}/${file.name}`));
    }
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

// An encrypted case stores its reports as `<name>.enc`; the workbench serves them decrypted.
function plainName(name: string): string {
  return name.endsWith(ENCRYPTED_EXTENSION) ? name.slice(0, -ENCRYPTED_EXTENSION.length) : name;
}

function plainExtension(name: string): string {
  return path.extname(plainName(name)).toLowerCase();
}

/**
 * Returns the `Content-Disposition` of a report download: an attachment named as the plain
 * file, with every character other than letters, digits, `.`, `_` and `-` replaced by `_`.
 */
export function downloadDisposition(file: ReportFile): string {
  return `attachment; filename="${file.download_name.replace(/[^\w.-]/g, '_')}"`;
}

async function reportFile(folder: string, name: string): Promise<ReportFile> {
  const info = await stat(path.join(folder, name));
  const extension = plainExtension(name);
  const previewable = info.size <= MAX_PREVIEW_BYTES && extension in CONTENT_TYPES;
  return {
    name,
    bytes: info.size,
    modified: info.mtime.toISOString(),
    preview: previewKind(previewable, extension),
    download_name: path.posix.basename(plainName(name)),
  };
}

/**
 * Reads one report by name. The name must be one that `listReports` returns, so no path from
 * a request reaches the file system.
 */
export async function readReport(
  caseDir: string,
  name: string,
): Promise<{ file: ReportFile; type: string; body: Buffer }> {
  const file = (await listReports(caseDir)).find((report) => report.name === name);
  if (file === undefined) throw new HttpError(404, 'report_not_found', 'no report has this name');

  const extension = plainExtension(file.name);
  const stored = path.join(casePaths(caseDir).reports, file.name);
  const body = file.name.endsWith(ENCRYPTED_EXTENSION)
    ? await readEncryptedReport(caseDir, stored)
    : await readFile(stored);
  return { file, type: CONTENT_TYPES[extension] ?? 'application/octet-stream', body };
}

function previewKind(previewable: boolean, extension: string): 'none' | 'html' | 'text' {
  if (!previewable || extension === '.pdf') return 'none';
  if (extension === '.html') return 'html';
  return 'text';
}
