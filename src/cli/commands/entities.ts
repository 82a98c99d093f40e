import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ENTITY_TYPES, type EntityRow, listEntities } from '../../analyze/entities/list.ts';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { CaseDb } from '../../store/index.ts';
import { noteResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';

interface EntitiesFlags {
  case: string;
  type?: (typeof ENTITY_TYPES)[number];
  limit?: number;
  json?: boolean;
}

/** `cloudcase entities --case DIR`: identities, keys, addresses, agents and resources. */
export function registerEntities(program: Command, context: CommandContext): void {
  program
    .command('entities')
    .description(
      'list the identities, access keys, IP addresses, user agents and resources of a case',
    )
    .requiredOption('-c, --case <dir>', 'case folder, already investigated (required)')
    .addOption(new Option('-t, --type <type>', 'only entities of this type').choices(ENTITY_TYPES))
    .option('--limit <n>', 'list at most this many entities (default 10000)', (value: string) => {
      const count = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(count)) {
        throw new InvalidArgumentError('expected a whole number of entities, from 0 to 2^53 - 1');
      }
      return count;
    })
    .option('--json', 'print the entities as JSON')
    .action(async (flags: EntitiesFlags) => {
      const { io } = context;
      const db = await CaseDb.openReadOnly(path.resolve(io.cwd, flags.case));
      const connection = await db.connect();
      try {
        const found = await listEntities(connection, {
          ...(flags.type ? { type: flags.type } : {}),
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        }).catch(missingTables);
        noteResults(context, found.length);
        io.stdout.write(flags.json ? `${JSON.stringify(found, null, 2)}\n` : renderEntities(found));
      } finally {
        connection.closeSync();
        await db.close();
      }
    });
}

/** Raises `entities_missing` for a case whose database predates the entity tables. */
export function missingTables(error: unknown): never {
  if (
    error instanceof Error &&
    /Table with name (entities|credentials|created_principals) does not exist/.test(error.message)
  ) {
    throw new CloudcaseError(
      'entities_missing',
      'this case has no entity tables yet; run cloudcase hunt or investigate on it once',
      EXIT.case,
    );
  }
  throw error;
}

const HEADER = [
  'type',
  'kind',
  'value',
  'name',
  'events',
  'first seen',
  'last seen',
  'sources',
  'origin',
];

/** Renders the entities as an aligned text table, every cell escaped for the terminal. */
export function renderEntities(found: readonly EntityRow[]): string {
  if (found.length === 0) return 'No entities.\n';
  const cells = found.map((row) => [
    row.type,
    row.kind,
    row.value,
    [row.name, ...row.linked.map((link) => `= ${link}`)].filter((v) => v !== null).join(' '),
    String(row.events),
    row.first_seen.slice(0, 19),
    row.last_seen.slice(0, 19),
    row.sources.join(','),
    originText(row.origin),
  ]);
  return textTable(HEADER, cells);
}

// A key made through a chain of creating calls also names the chain's first credential.
function originText(origin: EntityRow['origin']): string {
  if (origin === null) return '';
  const by = origin.key ?? origin.actor;
  const text = by === null ? origin.operation : `${origin.operation} by ${by}`;
  const first = origin.root.key ?? origin.root.actor;
  if (origin.root.hops < 2 || first === null) return text;

  return `${text}, first ${first} (${origin.root.hops} calls back)`;
}

/** Pads columns to a common width; cells are escaped and cut to `maxWidth` characters. */
export function textTable(
  header: readonly string[],
  rows: readonly string[][],
  maxWidth = 80,
): string {
  const clean = rows.map((row) =>
    row.map((cell) => {
      const safe = sanitizeTerminalLine(cell);
      return safe.length > maxWidth ? `${safe.slice(0, maxWidth - 1)}…` : safe;
    }),
  );
  const widths = header.map((name, i) =>
    Math.max(name.length, ...clean.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();

  return `${[line(header), ...clean.map(line)].join('\n')}\n`;
}
