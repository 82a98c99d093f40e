import { escapeMarkdown, sanitizeTerminalLine } from '../core/escape.ts';
import { custodyPath } from '../evidence/case-layout.ts';
import { readJsonLines } from '../evidence/jsonl.ts';
import { type ManifestEntry, readManifest } from '../evidence/manifest.ts';
import { escapeText, htmlPage, htmlTable } from './html-page.ts';

/** One custody ledger entry as the report lists it; unknown fields are kept in `details`. */
export interface CustodyRow {
  seq: number | null;
  time: string | null;
  actor: string | null;
  action: string | null;
  sha256: string | null;
  details: string;
  hash: string | null;
}

/** The custody report: every evidence item of the manifest and every custody ledger entry. */
export interface CustodyReport {
  template: 'custody';
  generated_at: string;
  case_dir: string;
  items: ManifestEntry[];
  entries: CustodyRow[];
  /** Manifest and ledger lines that could not be read, by file and line number. */
  unreadable: { file: string; line: number; reason: string }[];
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function custodyRow(value: unknown): CustodyRow {
  const entry = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  return {
    seq: typeof entry.seq === 'number' ? entry.seq : null,
    time: str(entry.time),
    actor: str(entry.actor),
    action: str(entry.action),
    sha256: str(entry.sha256),
    details: JSON.stringify(entry.details ?? {}),
    hash: str(entry.hash),
  };
}

/**
 * Reads the manifest and the custody ledger of a case for the custody report. It lists what
 * the files hold; `cloudcase verify` is what checks their hashes and chain.
 */
export async function buildCustodyReport(
  caseDir: string,
  now = new Date(),
): Promise<CustodyReport> {
  const report: CustodyReport = {
    template: 'custody',
    generated_at: now.toISOString(),
    case_dir: caseDir,
    items: [],
    entries: [],
    unreadable: [],
  };
  for await (const line of readManifest(caseDir)) {
    if (line.ok) report.items.push(line.entry);
    else report.unreadable.push({ file: 'manifest.jsonl', line: line.line, reason: line.reason });
  }
  for await (const line of readJsonLines(custodyPath(caseDir))) {
    if (line.ok) report.entries.push(custodyRow(line.value));
    else report.unreadable.push({ file: 'custody.jsonl', line: line.line, reason: line.reason });
  }

  return report;
}

const ITEM_COLUMNS = [
  'sha256',
  'size',
  'kind',
  'original path',
  'acquired at',
  'acquired by',
  'host',
];
const ENTRY_COLUMNS = ['seq', 'time', 'actor', 'action', 'sha256', 'details', 'hash'];

const itemCells = (item: ManifestEntry): (string | number | null)[] => [
  item.sha256,
  item.size,
  item.kind,
  item.original_path,
  item.acquired_at,
  item.acquired_by,
  item.host,
];

const entryCells = (entry: CustodyRow): (string | number | null)[] => [
  entry.seq,
  entry.time,
  entry.actor,
  entry.action,
  entry.sha256,
  entry.details,
  entry.hash,
];

function mdTable(header: string[], rows: (string | number | null)[][]): string[] {
  const cell = (v: string | number | null): string =>
    v === null ? '-' : escapeMarkdown(sanitizeTerminalLine(String(v)));
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

/** Renders the custody report as Markdown. */
export function renderCustodyMarkdown(report: CustodyReport): string {
  return [
    '# Evidence and custody',
    '',
    `Case: ${escapeMarkdown(sanitizeTerminalLine(report.case_dir))}  `,
    `Generated: ${report.generated_at}`,
    '',
    `## Evidence items (${report.items.length})`,
    '',
    ...mdTable(ITEM_COLUMNS, report.items.map(itemCells)),
    '',
    `## Custody ledger (${report.entries.length} entries)`,
    '',
    ...mdTable(ENTRY_COLUMNS, report.entries.map(entryCells)),
    '',
    ...(report.unreadable.length === 0
      ? []
      : [
          '## Unreadable lines',
          '',
          ...mdTable(
            ['file', 'line', 'reason'],
            report.unreadable.map((u) => [u.file, u.line, u.reason]),
          ),
          '',
        ]),
  ].join('\n');
}

/** Renders the custody report as a self-contained HTML page. */
export function renderCustodyHtml(report: CustodyReport): string {
  const unreadable =
    report.unreadable.length === 0
      ? ''
      : `<h2>Unreadable lines</h2>\n${htmlTable(
          ['file', 'line', 'reason'],
          report.unreadable.map((u) => [u.file, u.line, u.reason]),
        )}`;
  const body = `<h1>Evidence and custody</h1>
<p>Case: <code>${escapeText(report.case_dir)}</code><br>Generated: ${escapeText(report.generated_at)}</p>
<h2>Evidence items (${report.items.length})</h2>
${htmlTable(ITEM_COLUMNS, report.items.map(itemCells), { mono: [0], nowrap: [1, 2, 4] })}
<h2>Custody ledger (${report.entries.length} entries)</h2>
${htmlTable(ENTRY_COLUMNS, report.entries.map(entryCells), {
  mono: [4, 5, 6],
  nowrap: [0, 1, 3],
})}
${unreadable}`;

  return htmlPage('Evidence and custody', body, { wide: true });
}
