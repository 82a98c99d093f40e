import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { resolveAnalyst } from '../case/analyst.ts';
import { appendAudit } from '../case/audit-trail.ts';
import { CloudcaseError } from '../core/errors.ts';
import { sanitizeTerminalLine } from '../core/escape.ts';
import type { CommandContext } from './main.ts';

/** A command that started on a case, waiting for its outcome. */
interface Invocation {
  caseDir: string;
  command: string;
  args: string[];
  options: Record<string, unknown>;
  analyst: string;
  startedAt: string;
  results: number | null;
}

const running = new WeakMap<CommandContext, Invocation>();

/**
 * Makes every command that names a case (`--case`) record itself in the case's audit trail:
 * before its action runs the invocation is noted, and `recordInvocation` writes it with the
 * exit code once the command ends, failed or not.
 */
export function auditCommands(program: Command, context: CommandContext): void {
  program.hook('preAction', (_program, action) => {
    const options = action.opts() as Record<string, unknown>;
    if (typeof options.case !== 'string') return;

    running.set(context, {
      caseDir: path.resolve(context.io.cwd, options.case),
      command: commandPath(action),
      args: action.processedArgs.flat().map(String),
      options: givenOptions(action, options),
      analyst: resolveAnalyst(
        typeof options.analyst === 'string' ? options.analyst : undefined,
        context.io.env,
      ),
      startedAt: new Date().toISOString(),
      results: null,
    });
  });
}

/** Tells the audit trail how many results the running command produced. */
export function noteResults(context: CommandContext, results: number): void {
  const invocation = running.get(context);
  if (invocation !== undefined) invocation.results = results;
}

/**
 * Writes the running command's audit entry, when it named a case that exists by now. A failure
 * to write it is reported on stderr and does not change the command's exit code.
 */
export async function recordInvocation(
  context: CommandContext,
  exitCode: number,
  error: unknown,
): Promise<void> {
  const invocation = running.get(context);
  running.delete(context);
  if (invocation === undefined) return;
  if (!existsSync(path.join(invocation.caseDir, 'case.json'))) return;

  try {
    await appendAudit(invocation.caseDir, {
      actor: invocation.analyst,
      command: invocation.command,
      args: invocation.args,
      options: invocation.options,
      exit_code: exitCode,
      results: invocation.results,
      error: errorCode(error),
      started_at: invocation.startedAt,
    });
  } catch (failure) {
    const reason = failure instanceof Error ? failure.message : String(failure);
    context.io.stderr.write(
      `warning: the audit trail of ${invocation.caseDir} was not written: ${sanitizeTerminalLine(reason)}\n`,
    );
  }
}

function errorCode(error: unknown): string | null {
  if (error === null) return null;
  if (error instanceof CloudcaseError) return error.code;
  return 'internal';
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let each: Command | null = command; each?.parent; each = each.parent) {
    names.unshift(each.name());
  }
  return names.join(' ');
}

/**
 * Collects the options given on the command line or through the environment, not their
 * defaults, by their long name without the dashes.
 */
function givenOptions(command: Command, options: Record<string, unknown>): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const source = command.getOptionValueSource(key);
    if (source === 'default' || source === undefined) continue;
    const option = command.options.find((each) => each.attributeName() === key);
    given[option?.long?.replace(/^--/, '') ?? key] = value;
  }
  return given;
}

/** Passes `items` through, telling the audit trail how many there were once they ran out. */
export async function* countResults<T>(
  context: CommandContext,
  items: AsyncIterable<T>,
): AsyncIterable<T> {
  let count = 0;
  try {
    for await (const item of items) {
      count += 1;
      yield item;
    }
  } finally {
    noteResults(context, count);
  }
}
