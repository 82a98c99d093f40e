/**
 * The report section on behaviour baselines: how many anomalies of each kind the case has, and
 * each anomaly with the explanation of what it was compared against.
 */
import { ANOMALY_KINDS, type Anomaly, type AnomalyKind } from '../baseline/index.ts';
import { countAnomalies, readAnomalies } from '../baseline/store.ts';
import {
  escapeHtml,
  escapeMarkdown,
  sanitizeTerminal,
  sanitizeTerminalLine,
} from '../core/escape.ts';
import type { CaseDb } from '../store/case-db.ts';

/** Anomalies listed in a report; `counts` has them all. */
export const REPORT_ANOMALY_LIMIT = 500;

/** The baseline section's data. */
export interface BaselineReport {
  /** Anomalies per kind in the case. */
  counts: Partial<Record<AnomalyKind, number>>;
  total: number;
  /** Most severe first, then the earliest, at most `REPORT_ANOMALY_LIMIT`. */
  anomalies: Anomaly[];
}

const COLUMNS = ['severity', 'kind', 'identity', 'first seen', 'value', 'explanation'];

/** Reads the stored anomalies of the case for the report. */
export async function loadBaselineReport(db: CaseDb): Promise<BaselineReport> {
  const connection = await db.connect();
  try {
    // A case opened read-only that an older version created has no `anomalies` table.
    const found = await connection.runAndReadAll(
      "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'anomalies' AND NOT temporary",
    );
    if (Number(found.getRowsJS()[0]?.[0] ?? 0) === 0)
      return { counts: {}, total: 0, anomalies: [] };

    const counts = await countAnomalies(connection);
    const anomalies = await readAnomalies(connection, REPORT_ANOMALY_LIMIT);
    const total = Object.values(counts).reduce((sum, count) => sum + (count ?? 0), 0);
    return { counts, total, anomalies };
  } finally {
    connection.closeSync();
  }
}

function cells(anomaly: Anomaly): string[] {
  return [
    anomaly.severity,
    anomaly.kind,
    anomaly.identity,
    anomaly.first_seen,
    anomaly.value,
    anomaly.explanation,
  ];
}

function countSentence(report: BaselineReport): string {
  if (report.total === 0) return 'No identity departed from its baseline.';
  const parts = ANOMALY_KINDS.filter((kind) => (report.counts[kind] ?? 0) > 0).map(
    (kind) => `${kind} ${report.counts[kind]}`,
  );
  const listed =
    report.total > report.anomalies.length
      ? ` The first ${report.anomalies.length} are listed.`
      : '';
  return `Anomalies: ${report.total} (${parts.join(', ')}).${listed}`;
}

const INTRO =
  'Each identity is compared with its own history in this case. A value is new when the ' +
  'identity had not used it since its first event and appears after its baseline window, the ' +
  'first 24 hours of its events (the default). Volume spikes compare an hour with the median ' +
  "and MAD of the identity's events per active hour. Private, loopback and cloud-provider " +
  'addresses are never placed in a country.';

/** Renders the one line of the terminal summary; anomaly kinds are fixed names, safe to print. */
export function baselineSummaryLine(report: BaselineReport): string {
  if (report.total === 0) return 'Baseline anomalies: none';
  const parts = ANOMALY_KINDS.filter((kind) => (report.counts[kind] ?? 0) > 0).map(
    (kind) => `${kind} ${report.counts[kind]}`,
  );
  return `Baseline anomalies (${report.total}): ${parts.join(', ')}; see reports/report.md`;
}

/** Renders the section as Markdown lines, ending with a blank line. */
export function baselineMarkdown(report: BaselineReport): string[] {
  const md = (text: string) => escapeMarkdown(sanitizeTerminalLine(text));
  const lines = ['## Behaviour baselines', '', INTRO, '', countSentence(report), ''];
  if (report.anomalies.length === 0) return lines;

  lines.push(`| ${COLUMNS.join(' | ')} |`, `|${COLUMNS.map(() => ' --- ').join('|')}|`);
  for (const anomaly of report.anomalies) lines.push(`| ${cells(anomaly).map(md).join(' | ')} |`);
  lines.push('');
  return lines;
}

/** Renders the section as HTML; every value is escaped. */
export function baselineHtml(report: BaselineReport): string {
  const html = (text: string) => escapeHtml(sanitizeTerminal(text));
  let out = `<h2>Behaviour baselines</h2>\n<p>${html(INTRO)}</p>\n<p>${html(countSentence(report))}</p>\n`;
  if (report.anomalies.length === 0) return out;

  const head = COLUMNS.map((name) => `<th>${name}</th>`).join('');
  const rows = report.anomalies.map((anomaly) => {
    const [severity = '', ...rest] = cells(anomaly);
    const first = `<td class="${html(severity)}">${html(severity)}</td>`;
    return `<tr>${first}${rest.map((value) => `<td>${html(value)}</td>`).join('')}</tr>`;
  });
  out += `<table><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>\n`;
  return out;
}
