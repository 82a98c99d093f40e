import type { Readable } from 'node:stream';
import type { Category, Event, EvidenceRef } from '../core/event.ts';
import type { RecordContext } from './local-time.ts';

/** One record read from a log stream, before normalization. */
export interface RecordRead {
  kind: 'record';
  /** Zero-based index of the record within the stream. */
  index: number;
  /** Byte offset of the record's first byte in the decompressed stream. */
  offset: number;
  /** One-based line number of the record's first byte. */
  line: number;
  value: unknown;
  /** The record's JSON text as read, when the format is JSON; lets the store keep it verbatim. */
  text?: string;
}

/** A record that could not be read or normalized, kept with its location. */
export interface RecordRejected {
  kind: 'rejected';
  index: number;
  offset: number;
  line: number;
  /** Stable reason code, such as `invalid_json` or `missing_time`. */
  code: string;
  /** What is wrong, in words; never contains log content. */
  reason: string;
  /** The first bytes of the offending record, for the analyst; may be empty. */
  sample: string;
}

export type RecordResult = RecordRead | RecordRejected;

/** Why a parsed record could not become an event. */
export interface NormalizeError {
  code: string;
  reason: string;
}

/**
 * A log format: how to recognise it, how to stream its records and how to map one to an `Event`.
 * Each format lives in its own module under `src/sources/`.
 */
export interface SourceFormat {
  /** Format id, such as `aws.cloudtrail`; becomes `Event.source`. */
  id: string;
  /** One line for `cloudcase sources`. */
  description: string;
  /** Example file name a responder would meet. */
  example: string;
  /**
   * The `Event.source` values its events carry, when they differ from `id`: one Azure Monitor
   * export yields `azure.activity`, `azure.signin` and `azure.audit` events.
   */
  eventSources?: readonly string[];
  /**
   * The log category the format's files are, such as `audit` for an API audit log; the case's
   * log coverage counts the whole time range of its events for it. When absent, each event
   * counts for its own category.
   */
  logCategory?: Category;
  /**
   * Event categories that this format's events evidence on their own, besides `logCategory`:
   * an audit log's secret reads show secret access, while its network API calls show no flows.
   */
  alsoCovers?: readonly Category[];
  /**
   * Coverage of event sources that differ in kind from the format's own, by `Event.source`: the
   * VPC flow entries among Cloud Logging exports are network logs, not audit logs.
   */
  sourceCoverage?: Readonly<
    Record<string, { logCategory: Category; alsoCovers?: readonly Category[] }>
  >;
  /**
   * Scores how likely the stream is of this format, from 0 (not at all) to 1 (certain), given
   * the first bytes of the decompressed stream (up to 64 KiB, possibly cut mid-record).
   */
  sniff(head: Buffer, name: string): number;
  /**
   * Streams the records of a decompressed input; never buffers the whole input. `context` holds
   * the case's settings that reading needs, such as the zone of times written without one.
   */
  records(input: Readable, context?: RecordContext): AsyncIterable<RecordResult>;
  /** Maps one parsed record to an event, or returns the reason it cannot. */
  normalize(value: unknown, ref: EvidenceRef): Event | NormalizeError;
}

/** Tells a normalize result apart from an event. */
export function isNormalizeError(result: Event | NormalizeError): result is NormalizeError {
  return 'code' in result && !('uid' in result);
}
