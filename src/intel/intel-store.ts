/** Stores intel matches as detections, and reads them back for the report. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { CorrelationHit, RuleMeta } from '../detect/types.ts';
import type { CaseDb } from '../store/case-db.ts';
import type { IndicatorHit } from './match.ts';
import type { IntelFileSummary, IntelProblem } from './types.ts';

/** Prefix of the rule ids of intel detections. */
export const INTEL_RULE_PREFIX = 'intel-';

/** Returns the rule id of an intel file, derived from its path so that a re-run replaces its hits. */
export function intelRuleId(file: string): string {
  const digest = createHash('sha256').update(path.resolve(file)).digest('hex');
  return `${INTEL_RULE_PREFIX}${digest.slice(0, 16)}`;
}

/** Builds the rule metadata of an intel file, stored like a Sigma rule's. */
export function intelRuleMeta(summary: IntelFileSummary): RuleMeta {
  return {
    id: intelRuleId(summary.file),
    title: `Threat intel match: ${path.basename(summary.file)}`,
    level: 'high',
    description:
      `An event holds an indicator from the intel file ${summary.file} (${summary.format}, ` +
      `${summary.indicators} indicators, SHA-256 ${summary.sha256}). IP addresses match source ` +
      'and destination addresses, networks the addresses inside them, domains the domain and ' +
      'its subdomains in DNS queries, endpoints and URLs, and user agents, access keys and ' +
      'hashes their exact value. One hit per indicator lists the events it matched.',
    tactics: [],
    techniques: [],
    tags: ['intel'],
    falsepositives: [
      'Shared addresses of CDNs, cloud providers or VPN services on an indicator list',
      'Indicators that were stale when the list was exported',
    ],
    file: summary.file,
  };
}

/** Converts a hit to the correlation hit that names the indicator and its source file. */
export function toCorrelationHit(hit: IndicatorHit): CorrelationHit {
  const { indicator } = hit;
  const group: Record<string, string> = {
    indicator: indicator.value,
    indicator_type: indicator.type,
    intel_file: indicator.source,
    intel_line: String(indicator.line),
    fields: hit.fields.join(','),
    matches: String(hit.matches),
  };
  if (indicator.label) group.label = indicator.label.slice(0, 200);

  return {
    rule_id: intelRuleId(indicator.source),
    event_uids: hit.uids,
    first_seen: hit.first,
    last_seen: hit.last,
    group,
  };
}

/** Stores the files' rules and hits, replacing earlier hits of the same files. */
export async function storeIntel(
  db: CaseDb,
  files: readonly IntelFileSummary[],
  hits: readonly IndicatorHit[],
): Promise<void> {
  await db.upsertRules(files.map(intelRuleMeta));
  await db.replaceCorrelationHits(
    files.map((f) => intelRuleId(f.file)),
    hits.map(toCorrelationHit),
  );
  const connection = await db.connect();
  try {
    for (const file of files) {
      await connection.run('DELETE FROM intel_sources WHERE file = $file', { file: file.file });
      await connection.run(
        `INSERT INTO intel_sources VALUES ($file, $sha256, $format, $indicators, $skipped,
          $problems, now()::TIMESTAMP)`,
        {
          file: file.file,
          sha256: file.sha256,
          format: file.format,
          indicators: file.indicators,
          skipped: file.skipped,
          problems: JSON.stringify(file.problems.slice(0, 1000)),
        },
      );
    }
  } finally {
    connection.closeSync();
  }
}

/** One matched indicator, as the report lists it. */
export interface IntelReportHit {
  indicator: string;
  type: string;
  file: string;
  line: number;
  label: string | null;
  fields: string;
  matches: number;
  first_seen: string;
  last_seen: string;
  /** Uid of the first event matched. */
  event_uid: string;
}

/** The intel part of a report: the files loaded and the indicators matched. */
export interface IntelReport {
  files: (Omit<IntelFileSummary, 'problems'> & { problems: IntelProblem[] })[];
  /** Matched indicators, first seen first, at most the `limit` given to `readIntelReport`. */
  hits: IntelReportHit[];
  /** Matched indicators in all. */
  hits_total: number;
}

/** Reads the intel files and hits stored in the case; `null` when no intel was loaded. */
export async function readIntelReport(db: CaseDb, limit = 500): Promise<IntelReport | null> {
  const connection = await db.connect();
  try {
    const tables = await connection.runAndReadAll(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'intel_sources'",
    );
    if (Number(tables.getRowObjectsJS()[0]?.n ?? 0) === 0) return null;
    const fileRows = (
      await connection.runAndReadAll(
        `SELECT file, sha256, format, indicators, skipped, problems::VARCHAR AS problems
         FROM intel_sources ORDER BY file`,
      )
    ).getRowObjectsJS();
    if (fileRows.length === 0) return null;

    const hitRows = (
      await connection.runAndReadAll(
        `SELECT group_by::VARCHAR AS g, strftime(first_seen, '%Y-%m-%dT%H:%M:%S.%gZ') AS f,
           strftime(last_seen, '%Y-%m-%dT%H:%M:%S.%gZ') AS l,
           (SELECT min(event_uid) FROM detections d WHERE d.hit_id = h.hit_id) AS uid
         FROM correlation_hits h WHERE starts_with(rule_id, $prefix)
         ORDER BY first_seen, hit_id LIMIT $limit`,
        { prefix: INTEL_RULE_PREFIX, limit },
      )
    ).getRowObjectsJS();

    const total = await connection.runAndReadAll(
      'SELECT count(*) AS n FROM correlation_hits WHERE starts_with(rule_id, $prefix)',
      { prefix: INTEL_RULE_PREFIX },
    );

    return {
      hits_total: Number(total.getRowObjectsJS()[0]?.n ?? 0),
      files: fileRows.map((row) => ({
        file: String(row.file),
        sha256: String(row.sha256),
        format: String(row.format) as IntelFileSummary['format'],
        indicators: Number(row.indicators),
        skipped: Number(row.skipped),
        problems: JSON.parse(String(row.problems)) as IntelProblem[],
      })),
      hits: hitRows.map((row) => {
        const g = JSON.parse(String(row.g)) as Record<string, string>;
        return {
          indicator: g.indicator ?? '',
          type: g.indicator_type ?? '',
          file: g.intel_file ?? '',
          line: Number(g.intel_line ?? 0),
          label: g.label ?? null,
          fields: g.fields ?? '',
          matches: Number(g.matches ?? 0),
          first_seen: String(row.f),
          last_seen: String(row.l),
          event_uid: String(row.uid ?? ''),
        };
      }),
    };
  } finally {
    connection.closeSync();
  }
}
