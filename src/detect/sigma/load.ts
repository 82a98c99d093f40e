/** Loads Sigma rule files from folders. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { applyFilters } from './filter.ts';
import type { RuleIssue } from './issues.ts';
import type { SigmaFilter, SigmaRule } from './model.ts';
import { parseRuleText } from './parse.ts';

/** One rule file that was read, with what parsing it gave. */
export interface LoadedFile {
  /** The root it was found under, as given to `loadRules`. */
  root: string;
  /** Path relative to the root, as rules and issues name it. */
  file: string;
  /** Rules of the file that passed validation. */
  rules: number;
  /** Sigma filters of the file that passed validation. */
  filters: number;
  /** Issues found while parsing the file, by severity. */
  errors: number;
  warnings: number;
}

/** The rules of every file under the given roots, and every issue found. */
export interface LoadResult {
  /** Single-event and correlation rules that passed validation, with filters applied. */
  rules: SigmaRule[];
  /** Sigma filters that passed validation; they are already applied to `rules`. */
  filters: SigmaFilter[];
  issues: RuleIssue[];
  filesRead: number;
  /** Every file read, in the order read. */
  files: LoadedFile[];
}

/**
 * Reads every `*.yml` and `*.yaml` file under the roots (recursively, in sorted order; other
 * files are ignored), then applies the Sigma filters found under any root to the rules they
 * name. Rule content never makes it throw: a bad file becomes issues. A root that is a file is
 * read as one rule file. File names in rules and issues are relative to their root.
 */
export async function loadRules(roots: string[]): Promise<LoadResult> {
  const result: LoadResult = { rules: [], filters: [], issues: [], filesRead: 0, files: [] };

  for (const root of roots) {
    const files = await ruleFiles(root, result.issues);
    for (const path of files) {
      const name = relative(root, path).split(sep).join('/') || path;
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (error) {
        result.issues.push(readIssue(name, error));
        result.files.push({ root, file: name, rules: 0, filters: 0, errors: 1, warnings: 0 });
        continue;
      }
      const unusable = unusableFile(name, bytes);
      if (unusable !== null) {
        result.issues.push(unusable);
        result.files.push({ root, file: name, rules: 0, filters: 0, errors: 1, warnings: 0 });
        continue;
      }
      const text = bytes.toString('utf8');
      result.filesRead++;
      const parsed = parseRuleText(text, name);
      result.rules.push(...parsed.rules);
      result.filters.push(...parsed.filters);
      result.issues.push(...parsed.issues);
      const found = { rules: parsed.rules.length, filters: parsed.filters.length };
      result.files.push({ root, file: name, ...found, ...counts(parsed.issues) });
    }
  }

  const filtered = applyFilters(result.rules, result.filters);
  result.rules = filtered.rules;
  result.issues.push(...filtered.issues);
  return result;
}

async function ruleFiles(root: string, issues: RuleIssue[]): Promise<string[]> {
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return [root];
    issues.push(readIssue(root, error));
    return [];
  }
}

/**
 * Largest rule file read: 1 MiB. SigmaHQ's largest rules are a few tens of kilobytes, and a
 * hostile file of megabytes of values would take minutes and gigabytes to load.
 */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;

// A file too large to be a rule, or one in UTF-16, which YAML parsing would only report as
// "not a map".
function unusableFile(file: string, bytes: Buffer): RuleIssue | null {
  const issue = (code: string, message: string): RuleIssue => ({
    code,
    severity: 'error',
    file,
    line: null,
    field: null,
    message,
  });
  if (bytes.length > MAX_RULE_FILE_BYTES) {
    return issue(
      'rule_file_too_large',
      `The rule file is larger than ${MAX_RULE_FILE_BYTES} bytes.`,
    );
  }
  const utf16Mark =
    bytes.length >= 2 &&
    ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
  if (utf16Mark || bytes.subarray(0, 4096).includes(0)) {
    return issue(
      'unsupported_encoding',
      'The rule file is not UTF-8 text; it looks like UTF-16 or binary.',
    );
  }
  return null;
}

function readIssue(file: string, error: unknown): RuleIssue {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
  return {
    code: 'unreadable_file',
    severity: 'error',
    file,
    line: null,
    field: null,
    message: `The rule file or folder could not be read (${code}).`,
  };
}

function counts(issues: RuleIssue[]): { errors: number; warnings: number } {
  const errors = issues.filter((issue) => issue.severity === 'error').length;
  return { errors, warnings: issues.length - errors };
}
