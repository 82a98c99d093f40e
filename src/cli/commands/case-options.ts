import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { resolveAnalyst } from '../../case/analyst.ts';
import { type CaseEdit, REPORT_FIELDS, type ReportFieldKey } from '../../case/case-edit.ts';
import {
  parsePastInstant,
  parsePhase,
  parseRetentionDays,
  parseText,
  parseTimezone,
} from '../../case/case-fields.ts';
import type { ChangeAuthor } from '../../case/case-update.ts';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import type { CommandContext } from '../main.ts';

/** Flags every `case` subcommand that changes the case takes. */
export interface AuthorFlags {
  case: string;
  analyst?: string;
  signingKey?: string;
  json?: boolean;
}

/** The case-field flags of `case init` and `case set`. */
export interface FieldFlags extends AuthorFlags {
  title?: string;
  organisation?: string;
  timezone?: string;
  discoveredAt?: string;
  lead?: string;
  phase?: string;
  addAnalyst?: string[];
  removeAnalyst?: string[];
  addTask?: string[];
  doneTask?: number[];
  note?: string[];
  lessons?: string;
  retentionDays?: string;
  reportField?: string[];
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function collectId(value: string, previous: number[] | undefined): number[] {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new InvalidArgumentError('a task number is a whole number from 1');
  }
  return [...(previous ?? []), id];
}

/** Adds `--case`, `--analyst`, `--signing-key` and `--json`. */
export function authorOptions(command: Command): Command {
  return command
    .requiredOption('-c, --case <dir>', 'case folder (required)')
    .option('--analyst <name>', 'who makes the change (default $CLOUDCASE_ANALYST, else user@host)')
    .option(
      '--signing-key <file>',
      'Ed25519 private key (PEM) that signs the ledger (default $CLOUDCASE_SIGNING_KEY, else ' +
        'keys/custody-signing.pem in the case)',
    )
    .option('--json', 'print the case as JSON');
}

/** Adds the flags that set the case's main fields. */
export function fieldOptions(command: Command): Command {
  return command
    .option('--title <text>', 'title of the case')
    .option('--organisation <name>', 'organisation the incident happened to')
    .option('--timezone <zone>', 'IANA time zone for showing times, such as Europe/Berlin')
    .option(
      '--discovered-at <time>',
      'when the incident was discovered (ISO 8601; starts the clocks)',
    )
    .option('--lead <name>', 'analyst who leads the response')
    .option(
      '--phase <phase>',
      'NIST SP 800-61 phase: preparation, detection-and-analysis, ' +
        'containment, eradication, recovery or post-incident',
    )
    .option('--add-analyst <name>', 'add an analyst to the case (repeatable)', collect);
}

/** Adds the flags only `case set` has. */
export function setOptions(command: Command): Command {
  return command
    .option('--remove-analyst <name>', 'remove an analyst from the case (repeatable)', collect)
    .option('--add-task <text>', 'add a task (repeatable)', collect)
    .option('--done-task <n>', 'mark task number n done (repeatable)', collectId)
    .option('--note <text>', 'add a dated note (repeatable)', collect)
    .option('--lessons <text>', 'lessons learned, replacing the earlier text')
    .option('--retention-days <days>', 'days to keep the evidence after closing (at least 90)')
    .option(
      '--report-field <key=value>',
      `set a field of the incident reports (repeatable): ${Object.keys(REPORT_FIELDS).join(', ')}`,
      collect,
    );
}

/** Finds the author of a change from the flags and the environment. */
export function authorOf(flags: AuthorFlags, context: CommandContext): ChangeAuthor {
  const analyst = resolveAnalyst(flags.analyst, context.io.env);
  const keyFile = flags.signingKey ?? context.io.env.CLOUDCASE_SIGNING_KEY;
  return keyFile === undefined
    ? { analyst }
    : { analyst, keyFile: path.resolve(context.io.cwd, keyFile) };
}

/** Resolves the case folder named by `--case`. */
export function caseDirOf(flags: { case: string }, context: CommandContext): string {
  return path.resolve(context.io.cwd, flags.case);
}

/** Turns the field flags into a checked edit; raises a usage error on the first bad value. */
export function editOf(flags: FieldFlags): CaseEdit {
  const edit: CaseEdit = {};
  if (flags.title !== undefined) edit.title = parseText(flags.title, '--title');
  if (flags.organisation !== undefined) {
    edit.organisation = parseText(flags.organisation, '--organisation');
  }
  if (flags.timezone !== undefined) edit.timezone = parseTimezone(flags.timezone);
  if (flags.discoveredAt !== undefined) {
    edit.discovered_at = parsePastInstant(flags.discoveredAt, '--discovered-at');
  }
  if (flags.lead !== undefined) edit.lead = parseText(flags.lead, '--lead');
  if (flags.phase !== undefined) edit.phase = parsePhase(flags.phase);

  const texts = (values: string[] | undefined, flag: string) =>
    (values ?? []).map((value) => parseText(value, flag));
  const lists: [keyof CaseEdit, string[] | undefined, string][] = [
    ['add_analysts', flags.addAnalyst, '--add-analyst'],
    ['remove_analysts', flags.removeAnalyst, '--remove-analyst'],
    ['add_tasks', flags.addTask, '--add-task'],
    ['add_notes', flags.note, '--note'],
  ];
  for (const [key, values, flag] of lists) {
    if (values !== undefined && values.length > 0) {
      (edit as Record<string, unknown>)[key] = texts(values, flag);
    }
  }

  if (flags.doneTask !== undefined && flags.doneTask.length > 0) edit.done_tasks = flags.doneTask;
  if (flags.lessons !== undefined) edit.lessons_learned = parseText(flags.lessons, '--lessons');
  if (flags.retentionDays !== undefined) {
    edit.retention_days = parseRetentionDays(flags.retentionDays);
  }
  if (flags.reportField !== undefined && flags.reportField.length > 0) {
    edit.report_fields = flags.reportField.map(parseReportField);
  }
  return edit;
}

/** Builds the error of a `case set` that names no change. */
export function nothingToSet(): CloudcaseError {
  return new CloudcaseError(
    'nothing_to_set',
    'case set needs at least one field flag; see cloudcase case set --help',
    2,
  );
}

/**
 * Reads one `--report-field key=value`: times as ISO 8601 instants, `defence_contractor` as
 * yes or no, `contracts` as a comma-separated list, the rest as text.
 */
function parseReportField(value: string): [ReportFieldKey, unknown] {
  const at = value.indexOf('=');
  const key = value.slice(0, at === -1 ? value.length : at);
  if (at === -1 || !Object.hasOwn(REPORT_FIELDS, key)) {
    throw new CloudcaseError(
      'invalid_report_field',
      `--report-field takes key=value with a key of ${Object.keys(REPORT_FIELDS).join(', ')}`,
      EXIT.usage,
    );
  }
  const field = key as ReportFieldKey;
  const raw = value.slice(at + 1);
  const flag = `--report-field ${field}`;
  switch (REPORT_FIELDS[field]) {
    case 'time':
      return [field, parsePastInstant(raw, flag)];
    case 'boolean': {
      const answer = raw.trim().toLowerCase();
      if (answer === 'yes' || answer === 'true') return [field, true];
      if (answer === 'no' || answer === 'false') return [field, false];
      throw new CloudcaseError('invalid_report_field', `${flag} takes yes or no`, EXIT.usage);
    }
    case 'list':
      return [field, raw.split(',').map((item) => parseText(item.trim(), flag))];
    default:
      return [field, parseText(raw, flag)];
  }
}
