/**
 * Messages between the ingest loop and the parser thread (`parse-worker.ts`). Everything in them
 * is plain data, because `postMessage` copies it with the structured clone algorithm.
 */
import type { CorrelationHit, EventMatch, RuleMeta } from '../detect/types.ts';
import type { RecordContext } from '../sources/local-time.ts';
import type { EventRowValues } from '../store/index.ts';
import type { RejectedRecord, RuleProblem } from './types.ts';

/** Settings the parser thread starts with. */
export interface ParserInit {
  /** Rule folders to load; the thread reports what it loaded in its `ready` message. */
  ruleRoots: string[];
  /** Values of `%name%` placeholders for rules that use the `expand` modifier. */
  placeholders: Record<string, string[]>;
  /** Case settings the formats read with, such as the zone of times written without one. */
  context: RecordContext;
  /**
   * Empty folder where the thread spills correlation occurrences (see `CorrelationSpill`);
   * `null` keeps them in memory.
   */
  spillFolder: string | null;
}

/** What the parser thread loaded from its rule folders, for the run's summary and rules table. */
export interface RuleLoad {
  meta: RuleMeta[];
  /** Rules that loaded. */
  loaded: number;
  /** Loading errors: rules that were not loaded, with their file and line. */
  problems: RuleProblem[];
}

/** A stream error, rebuilt in the parser thread so that the scanner maps it to the same code. */
export interface StreamErrorData {
  /** Whether the error was a `CloudcaseError`, whose code and message are kept. */
  cloudcase: boolean;
  /** The error's code, such as `evidence_modified` or zlib's `Z_BUF_ERROR`; may be absent. */
  code: string | null;
  message: string;
}

/** Messages to the parser thread. One stream is parsed at a time, from `start` to `end`/`fail`. */
export type ToParser =
  | {
      type: 'start';
      formatId: string;
      path: string;
      sha256: string;
      member: string | null;
    }
  | { type: 'bytes'; bytes: Uint8Array }
  | { type: 'fail'; error: StreamErrorData }
  | { type: 'end' }
  | { type: 'finish' };

/** Results of the records of some input chunks, in input order within each list. */
export interface ParsedBatch {
  type: 'batch';
  /** Input chunks fully taken by the parser since the previous batch. */
  consumed: number;
  read: number;
  rows: EventRowValues[];
  rejected: RejectedRecord[];
  matches: EventMatch[];
}

/** Messages from the parser thread. */
export type FromParser =
  | { type: 'ready'; rules: RuleLoad }
  | ParsedBatch
  | {
      type: 'done';
      read: number;
      stored: number;
      rejected: number;
      error: { code: string; reason: string } | null;
    }
  | { type: 'hits'; hits: CorrelationHit[]; heapBytes: number }
  | {
      type: 'crashed';
      /** The step that failed: parsing a stream or evaluating the correlation rules. */
      during: 'parse' | 'correlations';
      /** The error's message, such as DuckDB's `Out of Memory Error: could not allocate …`. */
      message: string;
    };
