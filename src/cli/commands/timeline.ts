import { isIP } from 'node:net';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { actorsPastCut } from '../../analyze/long-actors.ts';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import { sanitizeTerminal } from '../../core/escape.ts';
import { readManifest } from '../../evidence/index.ts';

import { formatTimeline } from '../../report/timeline-format.ts';
import { CaseDb, type TimelineFilter } from '../../store/index.ts';
import { countResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';

interface TimelineFlags {
  case: string;
  since?: string;
  until?: string;
  actor?: string;
  ip?: string;
  operation?: string;
  source?: string;
  limit?: number;
  format: 'table' | 'csv' | 'jsonl';
}

/** `cloudcase timeline --case DIR`: the case's events in time order, filtered. */
export function registerTimeline(program: Command, context: CommandContext): void {
  program
    .command('timeline')
    .description('print the events of a case in time order')
    .requiredOption('-c, --case <dir>', 'case folder (required)')
    .option(
      '--since <time>',
      'only events at or after this ISO 8601 time (UTC unless it has a zone)',
      parseTime,
    )
    .option(
      '--until <time>',
      'only events at or before this ISO 8601 time (UTC unless it has a zone)',
      parseTime,
    )
    .option('--actor <text>', 'only events whose actor ARN or name contains this text (any case)')
    .option(
      '--ip <address>',
      'only events from this source IP address, IPv4 CIDR block or calling service',
      parseAddress,
    )
    .option(
      '--operation <name>',
      'only events of this API operation, such as CreateAccessKey (any case)',
    )
    .option(
      '--source <id>',
      'only events of this format, such as aws.cloudtrail (any case)',
      (id: string) => id.toLowerCase(),
    )
    .option('--limit <n>', 'print at most this many events', parseCount)
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['table', 'csv', 'jsonl'])
        .default('table'),
    )
    .action(async (flags: TimelineFlags) => {
      if (flags.since && flags.until && flags.since > flags.until) {
        throw new CloudcaseError(
          'invalid_filter',
          '--since is later than --until; swap them',
          EXIT.usage,
        );
      }
      const caseDir = path.resolve(context.io.cwd, flags.case);
      const db = await CaseDb.openReadOnly(caseDir);
      try {
        await warnOfPartialIngest(db, context);
        if (flags.source !== undefined) await warnOfAbsentSource(db, flags.source, context);
        const filter = filterOf(flags);
        if (filter.actor !== undefined) filter.actorUids = await longActors(db, filter.actor);
        const events = countResults(context, db.timeline(filter));
        await formatTimeline(events, flags.format, context.io.stdout);
      } finally {
        await db.close();
      }
    });
}

// The events whose actor contains the text only past the start that its column keeps.
async function longActors(db: CaseDb, actor: string): Promise<string[]> {
  const connection = await db.connect();
  try {
    return await actorsPastCut(connection, actor);
  } finally {
    connection.closeSync();
  }
}

/** Tells the reader on stderr when the case has no events of the `--source` asked for. */
async function warnOfAbsentSource(db: CaseDb, source: string, context: CommandContext) {
  const sources = (await db.counts()).sources.map((row) => row.source);
  if (sources.includes(source)) return;
  const listed = sources.length === 0 ? 'none' : sources.sort().join(', ');
  context.io.stderr.write(
    `warning: the case has no events of source "${sanitizeTerminal(source)}"; ` +
      `its sources are: ${listed}.\n`,
  );
}

/**
 * Tells the reader on stderr when an interrupted `investigate` left streams partly stored, so a
 * timeline with missing events is not taken for the whole evidence. Such a stream has an ingest
 * row in state `partial`, or it has events and no ingest row at all, because finished streams
 * are recorded in batches. A stream without a row is named by the path the manifest lists.
 */
async function warnOfPartialIngest(db: CaseDb, context: CommandContext): Promise<void> {
  const partial = await db.partialStreams();
  const first = partial[0];
  if (first === undefined) return;
  const filePath = first.path ?? (await originalPath(db.caseDir, first.sha256));
  const name = first.member === null ? filePath : `${filePath} (${first.member})`;
  const others = partial.length > 1 ? ` and ${partial.length - 1} more` : '';
  context.io.stderr.write(
    `warning: an investigate run on this case did not finish, so events of ` +
      `${sanitizeTerminal(name)}${others} may be missing; run cloudcase investigate again ` +
      'with the same inputs to complete them.\n',
  );
}

// The path an evidence item was first read from, or its short hash when the manifest has no
// valid line for it.
async function originalPath(caseDir: string, sha256: string): Promise<string> {
  for await (const line of readManifest(caseDir)) {
    if (line.ok && line.entry.sha256 === sha256) return line.entry.original_path;
  }
  return `evidence ${sha256.slice(0, 12)}`;
}

function filterOf(flags: TimelineFlags): TimelineFilter {
  const filter: TimelineFilter = {};
  if (flags.since) filter.since = flags.since;
  if (flags.until) filter.until = flags.until;
  if (flags.actor) filter.actor = flags.actor;
  if (flags.ip) filter.ip = flags.ip;
  if (flags.operation) filter.operation = flags.operation;
  if (flags.source) filter.source = flags.source;
  if (flags.limit !== undefined) filter.limit = flags.limit;
  if (flags.format !== 'jsonl') filter.withoutRaw = true;
  return filter;
}

/**
 * Parses an ISO 8601 time; a time without a zone is taken as UTC. A calendar date that does
 * not exist, such as February 30, is rejected instead of rolling over into March.
 */
export function parseTime(value: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(value);
  const withZone =
    /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) || !value.includes('T') ? value : `${value}Z`;
  const time = new Date(withZone);
  if (match === null || Number.isNaN(time.getTime()) || !isCalendarDate(match)) {
    throw new InvalidArgumentError('expected an ISO 8601 time such as 2024-05-01T13:00:00Z');
  }
  return time.toISOString();
}

function isCalendarDate([, year, month, day]: RegExpExecArray): boolean {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
}

/**
 * Accepts an IPv4 or IPv6 address, an IPv4 CIDR block, or the name of a service that made the
 * call (`ec2.amazonaws.com`, `AWS Internal`): a value with a letter and no `:` or `/`. A value of
 * digits and dots must be a valid address, so a mistyped one is an error, not an empty timeline.
 */
export function parseAddress(value: string): string {
  if (/[A-Za-z]/.test(value) && !/[:/]/.test(value)) return value;
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  const prefixOk =
    prefix === undefined || (family === 4 && /^\d{1,2}$/.test(prefix) && Number(prefix) <= 32);
  if (family === 0 || !prefixOk || extra !== undefined) {
    throw new InvalidArgumentError(
      'expected an IP address such as 203.0.113.7, a block such as 203.0.113.0/24, or a service name such as ec2.amazonaws.com',
    );
  }
  return value;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(count)) {
    throw new InvalidArgumentError('expected a whole number of events, from 0 to 2^53 - 1');
  }
  return count;
}
