/**
 * Parses Sigma rule files (Sigma 2.1) into validated rules. Every problem in a file is collected
 * as an issue; a rule document with any error issue is left out, the others still load.
 */
import { parseCorrelation } from './correlation.ts';
import { parseDetection } from './detection.ts';
import { parseFilter } from './filter.ts';
import { parseHeader } from './header.ts';
import { IssueSink, type RuleIssue } from './issues.ts';
import { parseLogSource } from './logsource.ts';
import type { DetectionRule, SigmaFilter, SigmaRule } from './model.ts';
import { type RuleDocument, readRuleDocuments } from './yaml-documents.ts';

/** Rules, filters and issues of one rule file. */
export interface ParseResult {
  rules: SigmaRule[];
  /** Sigma filter documents of the file, not yet applied (see `applyFilters`). */
  filters: SigmaFilter[];
  issues: RuleIssue[];
}

/**
 * Parses the text of one rule file. The file may hold several YAML documents (a correlation
 * with its base rules, or Sigma 1.x `action: global` collections). Never throws on content.
 */
export function parseRuleText(text: string, file: string): ParseResult {
  const { documents, problems } = readRuleDocuments(text);
  const issues: RuleIssue[] = problems.map((problem) => ({
    code: 'yaml_syntax',
    severity: 'error',
    file,
    line: problem.line,
    field: null,
    message: `Invalid YAML: ${problem.message}`,
  }));

  const rules: SigmaRule[] = [];
  const filters: SigmaFilter[] = [];
  for (const document of documents) {
    const sink = new IssueSink(file, document.lineOf);
    const rule = parseDocument(document, file, sink);
    if (rule !== null && rule.kind !== 'filter') collectionId(rule, document, sink);
    issues.push(...sink.issues);
    if (rule === null || sink.hasErrorSince(0)) continue;
    if (rule.kind === 'filter') filters.push(rule);
    else rules.push(rule);
  }
  if (documents.length === 0 && problems.length === 0) {
    issues.push(issue(file, 'empty_file', 'The file holds no rule.'));
  }

  return { rules, filters, issues };
}

/**
 * Gives each rule of a Sigma 1.x `action: global` collection after the first an id of its own,
 * `<collection id>/<n>`, because the documents share the collection's id and a second rule with
 * a taken id would not load.
 */
function collectionId(rule: SigmaRule, document: RuleDocument, sink: IssueSink): void {
  const member = document.sharedIdMember;
  if (member === undefined || member < 2) return;

  const shared = rule.id;
  rule.id = `${shared}/${member}`;
  sink.warning(
    'collection_id',
    ['id'],
    `Document ${member} of this action: global collection shares id ${shared}; its rule gets id ${rule.id}.`,
  );
}

function issue(file: string, code: string, message: string): RuleIssue {
  return { code, severity: 'error', file, line: null, field: null, message };
}

function parseDocument(
  document: RuleDocument,
  file: string,
  sink: IssueSink,
): SigmaRule | SigmaFilter | null {
  const doc = document.value;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    sink.error('invalid_document', [], 'A rule document must be a YAML map.');
    return null;
  }

  const map = doc as Record<string, unknown>;
  const header = parseHeader(map, file, document.line, sink);
  if ('correlation' in map) return parseCorrelation(map, header, sink);
  if ('filter' in map && !('detection' in map)) return parseFilter(map, header, sink);

  const logsource = parseLogSource(map.logsource, sink);
  const { searches, condition } = parseDetection(map.detection, sink);
  if (condition === null || logsource === null) return null;

  const rule: DetectionRule = { ...header, kind: 'detection', logsource, searches, condition };
  return rule;
}
