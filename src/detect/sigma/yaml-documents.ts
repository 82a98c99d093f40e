/**
 * Splits a Sigma rule file into rule documents. A file may hold several YAML documents: a
 * correlation rule with its base rules, or the Sigma 1.x collection form where an
 * `action: global` document is merged into every later document, `action: reset` drops it and
 * `action: repeat` re-uses the previous document with changes.
 */
import { type Document, LineCounter, parseAllDocuments } from 'yaml';

/** One rule document, ready for validation. */
export interface RuleDocument {
  /** The document as plain data, after collection actions are applied. */
  value: unknown;
  /** Zero-based index of the document in the file. */
  index: number;
  /** One-based line where the document starts. */
  line: number;
  /** One-based line of the node at a field path, or `null` when the path has no node. */
  lineOf(path: readonly (string | number)[]): number | null;
  /**
   * Position (1, 2, …) among the documents merged with the same `action: global` document,
   * when this one takes its `id` from it; absent otherwise.
   */
  sharedIdMember?: number;
}

/** A YAML syntax problem, with its line. */
export interface YamlProblem {
  line: number | null;
  message: string;
}

// Attacker-controlled YAML can declare alias bombs; this bounds how far aliases may expand.
const MAX_ALIAS_COUNT = 100;

/** Parses every document of a rule file, applying Sigma collection actions. */
export function readRuleDocuments(text: string): {
  documents: RuleDocument[];
  problems: YamlProblem[];
} {
  const counter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: true });
  const all = Array.isArray(parsed) ? parsed : [parsed];
  const problems: YamlProblem[] = [];
  const documents: RuleDocument[] = [];
  let global: Record<string, unknown> | null = null;
  let globalDoc: Document.Parsed | null = null;
  let previous: unknown = null;
  let members = 0;

  for (const [index, doc] of all.entries()) {
    const lineAt = (offset: number | undefined) =>
      offset === undefined ? null : counter.linePos(offset).line;

    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        problems.push({ line: lineAt(error.pos[0]), message: error.message.split('\n')[0]! });
      }
      continue;
    }

    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      problems.push({ line: lineAt(doc.range[0]), message: (error as Error).message });
      continue;
    }
    if (value === null || value === undefined) continue;

    const action = isMap(value) ? value.action : undefined;
    if (action === 'global') {
      global = withoutAction(value as Record<string, unknown>);
      globalDoc = doc;
      members = 0;
      continue;
    }
    if (action === 'reset') {
      global = null;
      globalDoc = null;
      continue;
    }
    let sharedIdMember: number | undefined;
    if (action === 'repeat' && isMap(previous)) {
      value = deepMerge(previous, withoutAction(value as Record<string, unknown>));
    } else if (global !== null && isMap(value)) {
      if ('id' in global && !('id' in value)) sharedIdMember = ++members;
      value = deepMerge(global, value);
    }
    previous = value;

    const own = doc;
    const fallback = globalDoc;
    documents.push({
      value,
      index,
      line: lineAt(doc.contents?.range?.[0] ?? doc.range[0]) ?? 1,
      lineOf: (path) => nodeLine(own, path, lineAt) ?? nodeLine(fallback, path, lineAt),
      ...(sharedIdMember === undefined ? {} : { sharedIdMember }),
    });
  }

  return { documents, problems };
}

function nodeLine(
  doc: Document.Parsed | null,
  path: readonly (string | number)[],
  lineAt: (offset: number | undefined) => number | null,
): number | null {
  if (doc === null) return null;

  // Walk up the path until a node exists, so a problem inside a value points at its key.
  for (let length = path.length; length >= 0; length--) {
    const node = doc.getIn(path.slice(0, length), true) as { range?: [number, number, number] };
    if (node?.range) return lineAt(node.range[0]);
  }
  return null;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutAction(value: Record<string, unknown>): Record<string, unknown> {
  const { action: _action, ...rest } = value;
  return rest;
}

/** Merges maps key by key; any other value in `over` replaces the one in `base`. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>) {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    // A `__proto__` key from the YAML would replace the merged object's prototype.
    if (key === '__proto__') continue;
    const current = result[key];
    result[key] = isMap(current) && isMap(value) ? deepMerge(current, value) : value;
  }
  return result;
}
