/** Threat intelligence indicators, as read from STIX, MISP, CSV and plain list files. */

/** Kinds of indicator that events are matched against. */
export type IndicatorType = 'ip' | 'cidr' | 'domain' | 'url' | 'user_agent' | 'access_key' | 'hash';

/** One indicator, normalized for matching, with where it was read. */
export interface Indicator {
  type: IndicatorType;
  /** Normalized value: canonical IP or CIDR, lower-case domain, hash or URL host. */
  value: string;
  /** The intel file as given on the command line. */
  source: string;
  /** One-based line of the entry in its file. */
  line: number;
  /** Name, description or event info of the entry, when the file gives one. */
  label: string | null;
}

/** An entry that could not be read, or a whole file that could not. */
export interface IntelProblem {
  file: string;
  line: number;
  /** Stable code, such as `unknown_indicator` or `unsupported_pattern`. */
  code: string;
  message: string;
}

/** Summary of one intel file: its hash, format and counts, and the entries not read. */
export interface IntelFileSummary {
  file: string;
  /** SHA-256 of the file's bytes. */
  sha256: string;
  format: 'stix' | 'misp' | 'csv' | 'list' | 'unknown';
  indicators: number;
  /** Entries left out because their type is not one cloudcase matches (an e-mail address). */
  skipped: number;
  problems: IntelProblem[];
}

/** Indicators of every file loaded, and each file's summary. */
export interface IntelSet {
  indicators: Indicator[];
  files: IntelFileSummary[];
}
