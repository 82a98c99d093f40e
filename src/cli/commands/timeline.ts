import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';

import { formatTimeline } from '../../report/index.ts';
import { CaseDb, type TimelineFilter } from '../../store/index.ts';
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
    .requiredOption('-c, --case <dir>', 'case folder')
    .option(
      '--since <time>',
      'only events at or after this ISO 8601 time (UTC unless it has a zone)',
      parseTime,
    )
    .option(
      '--until <time>',
      'only events before this ISO 8601 time (UTC unless it has a zone)',
      parseTime,
    )
    .option('--actor <text>', 'only events whose actor ARN or name contains this text (any case)')
    .option('--ip <address>', 'only events from this source IP address')
    .option(
      '--operation <name>',
      'only events of this API operation, such as CreateAccessKey (any case)',
    )
    .option('--source <id>', 'only events of this format, such as aws.cloudtrail')
    .option('--limit <n>', 'print at most this many events', parseCount)
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['table', 'csv', 'jsonl'])
        .default('table'),
    )
    .action(async (flags: TimelineFlags) => {
      const caseDir = path.resolve(context.io.cwd, flags.case);
      const db = await CaseDb.openReadOnly(caseDir);
      try {
        await formatTimeline(db.timeline(filterOf(flags)), flags.format, context.io.stdout);
      } finally {
        await db.close();
      }
    });
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

/** Parses an ISO 8601 time; a time without a zone is taken as UTC. */
export function parseTime(value: string): string {
  const withZone =
    /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) || !value.includes('T') ? value : `${value}Z`;
  const time = new Date(withZone);
  if (Number.isNaN(time.getTime())) {
    throw new InvalidArgumentError('expected an ISO 8601 time such as 2024-05-01T13:00:00Z');
  }
  return time.toISOString();
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0) {
    throw new InvalidArgumentError('expected a whole number of events, 0 or more');
  }
  return count;
}
