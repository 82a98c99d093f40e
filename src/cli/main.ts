import { Command, CommanderError } from 'commander';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { sanitizeTerminal } from '../core/escape.ts';
import { Logger } from '../core/logger.ts';
import { setWorkingCopyWarnings } from '../store/working-copy.ts';
import { shortenArgumentValues } from './argument-values.ts';
import { auditCommands, recordInvocation } from './audit-hook.ts';
import { type CliIo, processIo } from './io.ts';

/** State a command action fills in for `main` to return. */
export interface CommandContext {
  io: CliIo;
  exitCode: number;
}

type Register = (program: Command, context: CommandContext) => void;

/**
 * Each top-level command with the module that registers it, in the order of the help text.
 * A module is imported only when its command is built: under tsx every source module costs a
 * few milliseconds to load, and the whole tree is about 340 of them.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['investigate', async () => (await import('./commands/investigate.ts')).registerInvestigate],
  ['timeline', async () => (await import('./commands/timeline.ts')).registerTimeline],
  ['demo', async () => (await import('./commands/demo.ts')).registerDemo],
  ['verify', async () => (await import('./commands/verify.ts')).registerVerify],
  ['sources', async () => (await import('./commands/sources.ts')).registerSources],
  ['rules', async () => (await import('./commands/rules.ts')).registerRules],
  ['hunt', async () => (await import('./commands/hunt.ts')).registerHunt],
  ['serve', async () => (await import('./commands/serve.ts')).registerServe],
  ['case', async () => (await import('./commands/case.ts')).registerCase],
  ['report', async () => (await import('./commands/report.ts')).registerReport],
  ['export', async () => (await import('./commands/export.ts')).registerExport],
  ['gaps', async () => (await import('./commands/gaps.ts')).registerGaps],
  ['entities', async () => (await import('./commands/entities.ts')).registerEntities],
  ['scope', async () => (await import('./commands/scope.ts')).registerScope],
];

/**
 * Builds the command tree; exported so argument parsing can be tested without running. Given
 * `argv`, it builds only the command that `argv` names. Top-level help, the version, and an
 * unknown or missing command get the whole tree, so their output lists every command.
 */
export async function buildProgram(context: CommandContext, argv?: string[]): Promise<Command> {
  const program = new Command('cloudcase')
    .description('Investigate intrusions into cloud accounts from their logs.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
      // Parse errors repeat the argument, which the user may have pasted from a log.
      outputError: (text, write) =>
        write(sanitizeTerminal(shortenArgumentValues(text, argv ?? []))),
    });

  const named = COMMANDS.filter(([name]) => name === argv?.[0]);
  const registers = await Promise.all(
    (named.length === 1 ? named : COMMANDS).map(([, load]) => load()),
  );
  for (const register of registers) register(program, context);
  auditCommands(program, context);
  for (const command of program.commands) command.exitOverride();

  return program;
}

/** Runs the CLI on `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const context: CommandContext = { io, exitCode: EXIT.ok };
  const program = await buildProgram(context, argv);
  const logger = new Logger(io.stderr);
  setWorkingCopyWarnings((message) => logger.warn(message));

  let exitCode: number;
  let failure: unknown = null;
  try {
    await program.parseAsync(argv, { from: 'user' });
    exitCode = context.exitCode;
  } catch (error) {
    // The reader of stdout went away (for example `| head`): the output was cut on purpose,
    // so the command's own exit code stands.
    const cut = (error as NodeJS.ErrnoException).code === 'EPIPE';
    failure = cut ? null : error;
    exitCode = cut ? context.exitCode : reportError(error, io, argv);
  }
  await recordInvocation(context, exitCode, failure);

  return exitCode;
}

function reportError(error: unknown, io: CliIo, argv: readonly string[]): number {
  if (error instanceof CommanderError) {
    // Help and version output end with a CommanderError whose exit code is 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CloudcaseError) {
    const message = shortenArgumentValues(error.message, argv);
    io.stderr.write(`error: ${sanitizeTerminal(message)} [${error.code}]\n`);
    return error.exitCode;
  }

  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`internal error: ${sanitizeTerminal(detail)}\n`);
  return EXIT.internal;
}
