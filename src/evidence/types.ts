import type { Readable } from 'node:stream';
import type { Logger } from '../core/logger.ts';

/** Storage format of an evidence item, detected from its magic bytes, never from its extension. */
export type EvidenceKind = 'plain' | 'gzip' | 'zip';

/** Options for `acquire`. */
export interface AcquireOptions {
  logger: Logger;
  /** Name of the analyst, recorded as `acquired_by` in the manifest and as the custody actor. */
  analyst: string;
}

/** One acquired file, as stored in the case. */
export interface EvidenceItem {
  /** SHA-256 of the original bytes, lowercase hex. */
  sha256: string;
  /** Size of the original bytes. */
  size: number;
  kind: EvidenceKind;
  /** Absolute path the bytes were read from in this run. */
  originalPath: string;
  /** Path of the stored copy relative to the case folder: `evidence/<sha[0:2]>/<sha>`. */
  storedPath: string;
  /** UTC time the content was first acquired into the case, ISO 8601. */
  acquiredAt: string;
  /** Whether this run added the content; `false` when the case already held the same bytes. */
  isNew: boolean;
}

/** An input path that could not be acquired; the run goes on with the next path. */
export interface AcquireError {
  kind: 'error';
  /** Absolute path of the input. */
  path: string;
  /** Stable code, such as `not_found`, `permission_denied` or `not_regular_file`. */
  code: string;
  reason: string;
}

export type AcquireResult = { kind: 'item'; item: EvidenceItem } | AcquireError;

/** Bounds on what one evidence item may expand to when read. */
export interface ReadLimits {
  /** Maximum decompressed bytes per item, summed over all members of an archive. */
  maxExpandedBytes: number;
  /**
   * Maximum ratio of decompressed to compressed bytes per stream, checked only once a stream
   * has produced more than `ratioGraceBytes`.
   */
  maxRatio: number;
  /** Output a stream may produce before `maxRatio` applies. */
  ratioGraceBytes: number;
}

/** One decompressed log stream read from an evidence item. */
export interface LogStream {
  /** Zip entry name, or `null` for a plain or gzip item. */
  member: string | null;
  /** Original path, with `!member` appended for zip entries. */
  displayName: string;
  /**
   * Decompressed bytes. The stream is destroyed with a `CloudcaseError` when the stored bytes
   * fail their hash (`evidence_modified`), the compression is broken (`gzip_truncated`,
   * `gzip_invalid`, `zip_entry_invalid`) or a read limit is exceeded (`archive_limit`).
   */
  stream: Readable;
}

/** A member that cannot be read, reported in place of its stream. */
export interface MemberError {
  kind: 'error';
  member: string | null;
  displayName: string;
  code: string;
  reason: string;
}

export type MemberResult = { kind: 'stream'; log: LogStream } | MemberError;

/** Request to `appendCustody`. */
export interface CustodyRequest {
  actor: string;
  action: string;
  sha256?: string;
  details?: Record<string, unknown>;
}

/** One line of `custody.jsonl`. */
export interface CustodyEntry {
  /** One-based position in the chain. */
  seq: number;
  /** UTC time of the action, ISO 8601. */
  time: string;
  actor: string;
  action: string;
  /** Evidence item the action concerns, or `null`. */
  sha256: string | null;
  details: Record<string, unknown>;
  /** `hash` of the previous entry; 64 zeros for the first. */
  prev_hash: string;
  /** SHA-256 over the canonical JSON of every other field of this entry but `sig`. */
  hash: string;
  /** Ed25519 signature (base64) by the case key over `hash`; absent in unsigned ledgers. */
  sig?: string;
}

/** `custody.head.json`: the last entry of the ledger, signed, so a cut-off tail shows. */
export interface CustodyHead {
  seq: number;
  hash: string;
  time: string;
  /** Fingerprint of the public key that signed it (see `fingerprintOf`). */
  key: string;
  sig: string;
}

/** One problem found by `verifyCase`. */
export interface VerifyProblem {
  /**
   * Stable code: `evidence_modified`, `evidence_missing`, `evidence_extra`, `evidence_partial`,
   * `manifest_invalid_line`, `manifest_duplicate`, `manifest_missing_item`,
   * `manifest_changed`, `manifest_order`, `custody_invalid_line`, `custody_seq`,
   * `custody_prev_hash`, `custody_hash`, `custody_unsigned`, `custody_signature`,
   * `custody_key_missing`, `custody_key_unexpected`, `custody_head_missing`,
   * `custody_head_signature`, `custody_truncated`, `custody_head_behind`,
   * `custody_head_mismatch`, `custody_head_unexpected`, `custody_after_seal`,
   * `custody_missing_acquire`, `case_field_changed`, `case_info_missing`, `case_key_missing`,
   * `case_key_wrong`, `database_events_changed`, `database_unrecorded`,
   * `database_findings_changed`, `database_findings_unrecorded`, `database_missing`,
   * `database_unreadable`.
   */
  code: string;
  sha256?: string;
  /** Table of `case.duckdb` the problem concerns, for findings tables. */
  table?: string;
  /** Custody sequence number the problem concerns. */
  seq?: number;
  /** One-based line in `manifest.jsonl` or `custody.jsonl`. */
  line?: number;
  /** Path relative to the case folder, for files found in `evidence/`. */
  path?: string;
  message: string;
}

/** The outcome of `verifyCase`. */
export interface VerifyReport {
  ok: boolean;
  items_checked: number;
  entries_checked: number;
  /**
   * Hash of the last custody entry. Rewriting the whole chain keeps it self-consistent, so
   * compare this value with one recorded outside the case (such as in a report).
   */
  head_hash: string | null;
  /** Fingerprint of the public key the signatures were checked with, or `null`. */
  key_fingerprint: string | null;
  /** Whether the case is sealed by `case close`. */
  sealed: boolean;
  problems: VerifyProblem[];
  /**
   * Findings that differed from the ledger when a later command started
   * (`findings_changed_before_run`); they do not fail verification.
   */
  warnings: VerifyProblem[];
}

/** Options for `verifyCase`. */
export interface VerifyOptions {
  /** Public key to check signatures with, in place of the case's own `custody.pub`. */
  publicKeyFile?: string;
  /** Head hash recorded elsewhere (such as in a report) that the ledger must still end with. */
  expectedHead?: string;
}
