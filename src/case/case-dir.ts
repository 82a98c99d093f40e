import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { isSealed, sealedError } from '../evidence/index.ts';
import type { CaseChange, CaseNote, CaseTask, RetentionPolicy } from './case-fields.ts';

/** Incident-handling phases of NIST SP 800-61. */
export type CasePhase =
  | 'preparation'
  | 'detection-and-analysis'
  | 'containment'
  | 'eradication'
  | 'recovery'
  | 'post-incident';

/** The contents of `case.json`. */
export interface CaseInfo {
  id: string;
  title: string;
  /** IANA zone used to display times and to read logs that carry no zone. */
  timezone: string;
  created_at: string;
  /** When the organisation discovered the incident; starts the reporting clocks. */
  discovered_at: string;
  phase: CasePhase;
  /** Organisation the incident happened to; the point of contact of the report. */
  organisation?: string;
  /** Analyst who leads the response. */
  lead?: string;
  analysts?: string[];
  tasks?: CaseTask[];
  notes?: CaseNote[];
  lessons_learned?: string;
  retention?: RetentionPolicy;
  /** When `case close` sealed the case, and who closed it. */
  closed_at?: string;
  closed_by?: string;
  /** Every change made by `case init`, `case set`, `case close` and the hold commands. */
  history?: CaseChange[];
}

/** Paths of the parts of a case folder. */
export function casePaths(caseDir: string) {
  return {
    root: caseDir,
    info: path.join(caseDir, 'case.json'),
    evidence: path.join(caseDir, 'evidence'),
    reports: path.join(caseDir, 'reports'),
    database: path.join(caseDir, 'case.duckdb'),
  };
}

/**
 * Opens the case in `caseDir` for writing, creating the folder and `case.json` when they do
 * not exist yet. The discovery time defaults to the moment the case is created. Raises
 * `case_sealed` when `case close` has sealed the case.
 */
export async function ensureCase(caseDir: string, title?: string): Promise<CaseInfo> {
  const paths = casePaths(caseDir);
  const existing = await readCaseInfo(caseDir).catch((error: unknown) => {
    if (error instanceof CloudcaseError && error.code === 'case_not_found') return null;
    throw error;
  });
  if (existing) {
    if (await isSealed(caseDir)) throw sealedError(caseDir);
    return existing;
  }

  await createCaseFolders(caseDir);
  const now = new Date().toISOString();
  const info: CaseInfo = {
    id: randomUUID(),
    title: title ?? path.basename(path.resolve(caseDir)),
    timezone: 'UTC',
    created_at: now,
    discovered_at: now,
    phase: 'detection-and-analysis',
  };
  await writeFile(paths.info, `${JSON.stringify(info, null, 2)}\n`, { flag: 'wx' }).catch(
    (error: unknown) => {
      throw caseFolderError(caseDir, error);
    },
  );

  return info;
}

/**
 * Creates the case folder and its `evidence/` and `reports/` folders.
 */
async function createCaseFolders(caseDir: string): Promise<void> {
  const paths = casePaths(caseDir);
  try {
    await makeFolders(path.resolve(caseDir));
    await mkdir(paths.evidence).catch(ignoreExisting);
    await mkdir(paths.reports).catch(ignoreExisting);
  } catch (error) {
    throw caseFolderError(caseDir, error);
  }
}

/**
 * Creates a folder and its missing parents one level at a time. Node's recursive mkdir retries
 * forever inside /proc, where creating a folder fails with ENOENT under a folder that exists.
 */
async function makeFolders(folder: string): Promise<void> {
  const missing: string[] = [];
  let current = folder;
  while (!(await exists(current))) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const each of missing) await mkdir(each).catch(ignoreExisting);
}

async function exists(target: string): Promise<boolean> {
  return stat(target).then(
    () => true,
    () => false,
  );
}

function ignoreExisting(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
}

function caseFolderError(caseDir: string, error: unknown): CloudcaseError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
  const cause: Record<string, string> = {
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file of that name exists',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOENT: 'the folder cannot be created there',
  };
  return new CloudcaseError(
    'case_folder_invalid',
    `cannot create the case folder ${caseDir}: ${cause[code] ?? code}; choose another --case folder`,
    EXIT.case,
    { cause: error },
  );
}

/**
 * Writes `case.json` whole, through a temporary file renamed into place, so a reader never sees
 * half a file and a crash leaves the old one.
 */
export async function writeCaseInfo(caseDir: string, info: CaseInfo): Promise<void> {
  const file = casePaths(caseDir).info;
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(info, null, 2)}\n`, { flush: true });
  await rename(temp, file);
}

/** Reads `case.json`; fails with `case_not_found` when the folder is not a case. */
export async function readCaseInfo(caseDir: string): Promise<CaseInfo> {
  const file = casePaths(caseDir).info;
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) {
    throw new CloudcaseError(
      'case_not_found',
      `${caseDir} is not a case folder (no case.json); run cloudcase investigate with --case ${caseDir} first`,
      EXIT.case,
    );
  }

  try {
    return JSON.parse(await readFile(file, 'utf8')) as CaseInfo;
  } catch (error) {
    throw new CloudcaseError(
      'case_invalid',
      `${file} is not valid JSON; restore it from a copy`,
      EXIT.case,
      {
        cause: error,
      },
    );
  }
}
