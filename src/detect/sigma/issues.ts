/**
 * Rule problems as data: every problem found in a rule is collected with a stable code, the rule
 * file, the line and the field path, so the CLI, JSON output and the web UI show the same issue.
 */

/** One problem found while parsing, validating or routing a Sigma rule. */
export interface RuleIssue {
  /** Stable reason code, such as `unknown_modifier` or `invalid_level`. */
  code: string;
  /** `error` keeps the rule from loading; `warning` loads it anyway. */
  severity: 'error' | 'warning';
  /** Rule file, as given to the parser. */
  file: string;
  /** One-based line in the rule file, or `null` when the problem has no single place. */
  line: number | null;
  /** Path of the offending field, such as `detection.selection.eventName|contians`. */
  field: string | null;
  message: string;
}

/** Collects the issues of one rule file, resolving field paths to lines as they are added. */
export class IssueSink {
  readonly issues: RuleIssue[] = [];
  readonly #file: string;
  readonly #lineOf: (path: readonly (string | number)[]) => number | null;

  constructor(file: string, lineOf: (path: readonly (string | number)[]) => number | null) {
    this.#file = file;
    this.#lineOf = lineOf;
  }

  /** Records an error: the rule it belongs to will not load. */
  error(code: string, path: readonly (string | number)[], message: string): void {
    this.#add(code, 'error', path, message);
  }

  /** Records a warning: the rule still loads. */
  warning(code: string, path: readonly (string | number)[], message: string): void {
    this.#add(code, 'warning', path, message);
  }

  /** Whether any error was recorded since the given issue count. */
  hasErrorSince(start: number): boolean {
    return this.issues.slice(start).some((issue) => issue.severity === 'error');
  }

  #add(
    code: string,
    severity: RuleIssue['severity'],
    path: readonly (string | number)[],
    message: string,
  ): void {
    this.issues.push({
      code,
      severity,
      file: this.#file,
      line: this.#lineOf(path),
      field: path.length === 0 ? null : path.join('.'),
      message,
    });
  }
}
