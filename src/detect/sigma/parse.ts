/**
 * Parses Sigma rule files (Sigma 2.1) into validated rules. Every problem in a file is collected
 * as an issue; a rule document with any error issue is left out, the others still load.
 */
import { parseCorrelation } from './correlation.ts';
import { parseDetection } from './detection.ts';
import { parseHeader } from './header.ts';
import { IssueSink, type RuleIssue } from './issues.ts';
import type { DetectionRule, LogSource, SigmaRule } from './model.ts';
import { type RuleDocument, readRuleDocuments } from './yaml-documents.ts';

/** Rules and issues of one rule file. */
export interface ParseResult {
  rules: SigmaRule[];
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
  for (const document of documents) {
    const sink = new IssueSink(file, document.lineOf);
    const rule = parseDocument(document, file, sink);
    issues.push(...sink.issues);
    if (rule !== null && !sink.hasErrorSince(0)) rules.push(rule);
  }
  if (documents.length === 0 && problems.length === 0) {
    issues.push(issue(file, 'empty_file', 'The file holds no rule.'));
  }

  return { rules, issues };
}

function issue(file: string, code: string, message: string): RuleIssue {
  return { code, severity: 'error', file, line: null, field: null, message };
}

function parseDocument(document: RuleDocument, file: string, sink: IssueSink): SigmaRule | null {
  const doc = document.value;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    sink.error('invalid_document', [], 'A rule document must be a YAML map.');
    return null;
  }

  const map = doc as Record<string, unknown>;
  const header = parseHeader(map, file, document.line, sink);
  if ('correlation' in map) return parseCorrelation(map, header, sink);
  if ('filter' in map && !('detection' in map)) {
    // TODO: Sigma filters (rules that add exclusions to other rules) are not applied yet.
    sink.error('unsupported_filter', ['filter'], 'Sigma filter documents are not supported yet.');
    return null;
  }

  const logsource = parseLogSource(map.logsource, sink);
  const { searches, condition } = parseDetection(map.detection, sink);
  if (condition === null || logsource === null) return null;

  const rule: DetectionRule = { ...header, kind: 'detection', logsource, searches, condition };
  return rule;
}

function parseLogSource(value: unknown, sink: IssueSink): LogSource | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    sink.error('missing_logsource', ['logsource'], 'The rule needs a "logsource" map.');
    return null;
  }

  const map = value as Record<string, unknown>;
  const pick = (key: string) => (typeof map[key] === 'string' ? (map[key] as string) : null);
  const logsource = {
    product: pick('product'),
    service: pick('service'),
    category: pick('category'),
  };
  if (logsource.product === null && logsource.service === null && logsource.category === null) {
    sink.error(
      'missing_logsource',
      ['logsource'],
      '"logsource" needs at least one of product, service or category.',
    );
    return null;
  }
  return logsource;
}
