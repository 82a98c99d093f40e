/**
 * Validation of rule trees as a run would load them: every file is parsed, filters are applied
 * and the rules are built into a rule set, so the report lists the problems of all three steps.
 */
import type { RuleIssue } from './issues.ts';
import { loadRules } from './load.ts';
import { RuleSet } from './rule-set.ts';

/** Whether a file's rules load: all of them, some of them, or none because of errors. */
export type FileStatus = 'loaded' | 'partial' | 'failed';

/** The outcome for one rule file. */
export interface FileCheck {
  root: string;
  /** Path relative to the root, as the issues name it. */
  file: string;
  status: FileStatus;
  /** Rules of the file that would run, or be routed nowhere with a warning. */
  rules: number;
  /** Sigma filters of the file that loaded. */
  filters: number;
  errors: number;
  warnings: number;
}

/** Counts over every file checked. */
export interface CheckTotals {
  files: number;
  loaded: number;
  partial: number;
  failed: number;
  rules: number;
  filters: number;
  errors: number;
  warnings: number;
}

/** The result of checking rule trees. */
export interface RuleCheckReport {
  /** True when no issue is an error. */
  ok: boolean;
  totals: CheckTotals;
  files: FileCheck[];
  /** Every issue, sorted by file and line. */
  issues: RuleIssue[];
}

/**
 * Loads the rule files under the roots, applies filters, builds the rule set a run would
 * build with the placeholder values given, and reports every issue with the status of each
 * file.
 * Rule content never makes it throw.
 */
export async function checkRules(
  roots: string[],
  placeholders: Record<string, string[]> = {},
): Promise<RuleCheckReport> {
  const loaded = await loadRules(roots);
  const set = new RuleSet(loaded.rules, { placeholders });

  // Rule set issues name the rule's file and line; a rule with an error there does not run.
  const rejected = new Set(
    set.issues
      .filter((issue) => issue.severity === 'error')
      .map((issue) => `${issue.file}\n${issue.line}`),
  );
  const running = new Map<string, number>();
  for (const rule of loaded.rules) {
    if (rejected.has(`${rule.file}\n${rule.line}`)) continue;
    running.set(rule.file, (running.get(rule.file) ?? 0) + 1);
  }

  // NOTE: issues name files relative to their root, so two roots with the same relative path
  // share their issues and rule counts here.
  const issues = [...loaded.issues, ...set.issues].sort(byLocation);
  const byFile = new Map<string, RuleIssue[]>();
  for (const issue of issues) {
    const list = byFile.get(issue.file) ?? [];
    list.push(issue);
    byFile.set(issue.file, list);
  }
  const files = loaded.files.map((entry): FileCheck => {
    const own = byFile.get(entry.file) ?? [];
    const errors = own.filter((issue) => issue.severity === 'error').length;
    const rules = running.get(entry.file) ?? 0;
    const usable = rules + entry.filters;
    let status: FileStatus = 'loaded';
    if (errors > 0) status = usable > 0 ? 'partial' : 'failed';
    return {
      root: entry.root,
      file: entry.file,
      status,
      rules,
      filters: entry.filters,
      errors,
      warnings: own.length - errors,
    };
  });

  return {
    ok: issues.every((issue) => issue.severity !== 'error'),
    totals: totalsOf(files, issues),
    files,
    issues,
  };
}

function byLocation(a: RuleIssue, b: RuleIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0);
}

function totalsOf(files: FileCheck[], issues: RuleIssue[]): CheckTotals {
  const count = (status: FileStatus) => files.filter((file) => file.status === status).length;
  const errors = issues.filter((issue) => issue.severity === 'error').length;
  return {
    files: files.length,
    loaded: count('loaded'),
    partial: count('partial'),
    failed: count('failed'),
    rules: files.reduce((sum, file) => sum + file.rules, 0),
    filters: files.reduce((sum, file) => sum + file.filters, 0),
    errors,
    warnings: issues.length - errors,
  };
}
