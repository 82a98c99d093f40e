import { isIP } from 'node:net';
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { type Indicator, type ScopeResult, scopeOf } from '../../analyze/scope/index.ts';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { dwellText, firstSuspiciousText } from '../../report/attack-vector.ts';
import { dataReadText, flowText } from '../../report/scope-amounts.ts';
import { CaseDb } from '../../store/index.ts';
import { noteResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';
import { missingTables, textTable } from './entities.ts';

interface ScopeFlags {
  case: string;
  key?: string;
  identity?: string;
  ip?: string;
  resource?: string;
  all?: boolean;
  json?: boolean;
}

/** Rows of each table the text output prints at most; `--json` has them all. */
const TEXT_ROWS = 25;

/** `cloudcase scope --case DIR (--key K | --identity I | --ip A | --resource R)`. */
export function registerScope(program: Command, context: CommandContext): void {
  program
    .command('scope')
    .description(
      'everything an indicator did and touched, through the sessions and credentials it created',
    )
    .requiredOption('-c, --case <dir>', 'case folder, already investigated (required)')
    .option('--key <id>', 'an access key id, such as AKIA… or ASIA…')
    .option('--identity <id>', 'an ARN, user name, email, role name or role ARN (any case)')
    .option('--ip <address>', 'an IP address, as source or destination', parseOneAddress)
    .option(
      '--resource <uid>',
      'a resource uid as the case lists it, such as a bucket or object ARN',
    )
    .option('--all', "keep the indicator's usual activity too, not only its suspicious sources")
    .option('--json', 'print the whole scope as JSON, with up to 10000 events')
    .action(async (flags: ScopeFlags) => {
      const indicator = indicatorOf(flags);
      const { io } = context;
      const db = await CaseDb.openReadOnly(path.resolve(io.cwd, flags.case));
      const connection = await db.connect();
      try {
        const scope = await scopeOf(connection, indicator, { all: flags.all ?? false }).catch(
          missingTables,
        );
        noteResults(context, scope.events);
        io.stdout.write(flags.json ? `${JSON.stringify(scope, null, 2)}\n` : renderScope(scope));
      } finally {
        connection.closeSync();
        await db.close();
      }
    });
}

function indicatorOf(flags: ScopeFlags): Indicator {
  const given: Indicator[] = [];
  if (flags.key !== undefined) given.push({ kind: 'key', value: flags.key });
  if (flags.identity !== undefined) given.push({ kind: 'identity', value: flags.identity });
  if (flags.ip !== undefined) given.push({ kind: 'ip', value: flags.ip });
  if (flags.resource !== undefined) given.push({ kind: 'resource', value: flags.resource });
  const [indicator] = given;
  if (indicator === undefined || given.length > 1) {
    throw new CloudcaseError(
      'invalid_indicator',
      'give exactly one of --key, --identity, --ip or --resource',
      EXIT.usage,
    );
  }
  if (indicator.value.trim() === '') {
    throw new CloudcaseError(
      'invalid_indicator',
      `--${indicator.kind === 'key' ? 'key' : indicator.kind} needs a value`,
      EXIT.usage,
    );
  }
  return indicator;
}

// A scope follows one address; a block would be many indicators at once.
function parseOneAddress(value: string): string {
  if (isIP(value) === 0) {
    throw new InvalidArgumentError('expected one IP address such as 203.0.113.7, not a block');
  }
  return value;
}

const esc = sanitizeTerminalLine;

/** Renders the scope as text: totals, verdicts, what it touched, data read, changes, chain. */
export function renderScope(scope: ScopeResult): string {
  const { indicator } = scope;
  const out = [`Scope of ${indicator.kind} ${esc(indicator.value)}`, ''];
  out.push(...splitLines(scope));
  if (scope.events === 0) return `${[...out, 'No events in scope.'].join('\n')}\n`;

  const sources = scope.by_source.map((s) => `${esc(s.source)} ${s.events}`).join(', ');
  out.push(
    `Events: ${scope.events} (${sources})`,
    `First activity: ${scope.first_activity}  last: ${scope.last_activity}  ` +
      `dwell: ${dwellText(scope.dwell_seconds)}`,
    '',
  );
  out.push(...vectorLines(scope));
  out.push(...touchedSection('Identities', scope.identities));
  out.push(...touchedSection('Access keys', scope.access_keys));
  out.push(...touchedSection('IP addresses', scope.ips));
  out.push(
    ...section(
      'Created and followed',
      ['created', 'kind', 'value', 'by'],
      scope.created.map((c) => [c.created_at, c.kind, c.value, c.operation]),
    ),
  );
  out.push(...dataLines(scope));
  out.push(
    ...section(
      `Changes to roll back: ${scope.change_count}`,
      ['time', 'operation', 'resources', 'rollback'],
      scope.changes.map((c) => [c.time, c.operation, c.resources.join(' '), c.rollback]),
      scope.change_count,
    ),
  );
  if (scope.chain.narrative.length > 0) {
    out.push('Attack chain', ...scope.chain.narrative.map((line) => `  ${esc(line)}`), '');
  }
  return `${out.join('\n')}\n`;
}

function vectorLines(scope: ScopeResult): string[] {
  if (scope.vector.length === 0) return [];
  const lines = scope.vector.flatMap((v) => [
    `  ${v.verdict}: ${esc(v.summary)}`,
    `    first suspicious: ${esc(firstSuspiciousText(v.first_suspicious))}` +
      ` (event ${esc(v.first_suspicious.event_uid)})`,
  ]);
  return ['Initial access', ...lines, ''];
}

function splitLines(scope: ScopeResult): string[] {
  if (scope.split.mode === 'all') return [];
  const list = (uses: typeof scope.split.excluded) =>
    uses.map((u) => `${esc(u.source ?? 'unknown')} (${u.events})`).join(', ') || 'none';
  return [
    `Suspicious sources: ${list(scope.split.suspicious_sources)}`,
    `Left out as usual activity (--all keeps them): ${list(scope.split.excluded)}`,
    '',
  ];
}

function dataLines(scope: ScopeResult): string[] {
  const title = `Data read: ${dataReadText(scope.data_read_totals)}`;
  const flows = flowText(scope.flow_totals);
  return [
    ...section(
      title,
      ['resource', 'operation', 'events', 'bytes', 'object size'],
      scope.data_read.map((d) => [
        d.resource,
        d.operation,
        String(d.events),
        d.bytes === null ? '-' : String(d.bytes),
        d.object_size === null ? '-' : String(d.object_size),
      ]),
    ),
    ...section(
      flows === null ? 'Flows' : `Flows: ${flows}`,
      ['source', 'destination', 'flows', 'bytes sent', 'first', 'last'],
      scope.flows.map((f) => [
        f.src_ip,
        f.dst_ip,
        String(f.events),
        String(f.bytes),
        f.first_seen,
        f.last_seen,
      ]),
    ),
  ];
}

function touchedSection(title: string, rows: ScopeResult['identities']): string[] {
  return section(
    title,
    ['value', 'events', 'first', 'last'],
    rows.map((t) => [t.value, String(t.events), t.first_seen, t.last_seen]),
  );
}

/** Renders a titled table of at most `TEXT_ROWS` rows and how many of `total` it leaves out. */
function section(title: string, header: string[], rows: string[][], total = rows.length): string[] {
  if (rows.length === 0) return [];
  const shown = Math.min(rows.length, TEXT_ROWS);
  const where = total > rows.length ? ` (--json lists the first ${rows.length})` : ' in --json';
  const more = total > shown ? [`  … ${total - shown} more${where}`] : [];
  const table = textTable(header, rows.slice(0, TEXT_ROWS), 100)
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`);

  return [esc(title), ...table, ...more, ''];
}
