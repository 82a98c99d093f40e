import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { csvCell, sanitizeTerminalLine } from '../core/escape.ts';
import type { Event } from '../core/event.ts';
import { collectGarbage } from '../core/heap.ts';

/** Output formats of `formatTimeline`. */
export type TimelineFormat = 'table' | 'csv' | 'jsonl';

/** Header of the timeline CSV, one column per value of `timelineCsvRow`. */
export const TIMELINE_CSV_HEADER = [
  'time',
  'source',
  'category',
  'actor_uid',
  'actor_type',
  'access_key',
  'src_ip',
  'user_agent',
  'account',
  'region',
  'service',
  'operation',
  'status',
  'status_detail',
  'message',
  'uid',
  'evidence_sha256',
  'record',
].join(',');

/** Formats one event as a CSV line; every cell goes through `csvCell`. */
export function timelineCsvRow(event: Event): string {
  return [
    event.time,
    event.source,
    event.category,
    event.actor.uid,
    event.actor.type,
    event.actor.access_key,
    event.src.ip,
    event.user_agent,
    event.cloud.account,
    event.cloud.region,
    event.api.service,
    event.api.operation,
    event.status,
    event.status_detail,
    event.message,
    event.uid,
    event.evidence.sha256,
    event.evidence.record,
  ]
    .map(csvCell)
    .join(',');
}

// JSON.stringify escapes C0 controls but writes DEL and C1 controls (0x7f-0x9f) as they are,
// and some terminals act on the single-byte CSI 0x9b.
/** Length of a line, in UTF-16 code units, past which its garbage is collected once written. */
const LARGE_LINE_UNITS = 8 * 1024 * 1024;

const C1_CONTROLS = /[\u007f-\u009f]/g;

/** Formats one event as a JSON line with the nested field names of `Event`, safe for a terminal. */
export function timelineJsonLine(event: Event): string {
  return JSON.stringify(event).replace(C1_CONTROLS, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

// Column widths of the table format, in characters; longer values are cut with an ellipsis.
const TABLE_COLUMNS: [string, number, (event: Event) => string | null][] = [
  ['TIME', 24, (e) => e.time],
  ['SOURCE', 16, (e) => e.source],
  ['ACTOR', 40, (e) => e.actor.uid ?? e.actor.name],
  ['SRC IP', 18, (e) => e.src.ip],
  ['OPERATION', 28, (e) => e.api.operation],
  ['STATUS', 8, (e) => e.status],
  ['MESSAGE', 0, (e) => e.message],
];

/** Sanitizes a value for a terminal cell and fits it to `width` (0 means no limit). */
export function fitCell(value: string | null, width: number): string {
  const text = sanitizeTerminalLine(value ?? '-');
  if (width === 0) return text;
  if (text.length > width) return `${text.slice(0, width - 1)}…`;

  return text.padEnd(width);
}

/** Formats one event as one aligned, sanitized table line. */
export function timelineTableRow(event: Event): string {
  return TABLE_COLUMNS.map(([, width, get]) => fitCell(get(event), width))
    .join('  ')
    .trimEnd();
}

function tableHeader(): string {
  return TABLE_COLUMNS.map(([name, width]) => fitCell(name, width))
    .join('  ')
    .trimEnd();
}

/** Per format: the header line (or none), one event's line, and the line end. */
const LAYOUTS: Record<
  TimelineFormat,
  { header: (() => string) | null; line: (event: Event) => string; newline: string }
> = {
  table: { header: () => tableHeader(), line: (event) => timelineTableRow(event), newline: '\n' },
  // RFC 4180 ends CSV lines with CRLF.
  csv: {
    header: () => TIMELINE_CSV_HEADER,
    line: (event) => timelineCsvRow(event),
    newline: '\r\n',
  },
  jsonl: { header: null, line: (event) => timelineJsonLine(event), newline: '\n' },
};

/**
 * Streams events to `out` as an aligned table, CSV (the columns of `timeline.csv`) or JSON
 * lines, honouring back-pressure. Returns the number of events written.
 */
export async function formatTimeline(
  events: AsyncIterable<Event>,
  format: TimelineFormat,
  out: Writable,
): Promise<number> {
  const { header, line, newline } = LAYOUTS[format];
  if (header !== null) await write(out, `${header()}${newline}`);

  let count = 0;
  for await (const event of events) {
    const text = `${line(event)}${newline}`;
    await write(out, text);
    count += 1;
    // The copies of a record of many megabytes (its parts, the record, the line) are garbage
    // once the line is written. Collected only when the heap nears its limit, those of a few
    // such records took a JSON Lines timeline of 8 records of 60 MiB to 1.9 GB RSS.
    if (text.length > LARGE_LINE_UNITS) collectGarbage();
  }

  return count;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
