import { Command, CommanderError } from 'commander';
import { CloudcaseError, EXIT } from '../core/errors.ts';
import { sanitizeTerminal } from '../core/escape.ts';
import { Logger } from '../core/logger.ts';
import { setWorkingCopyWarnings } from '../store/index.ts';
import { auditCommands, recordInvocation } from './audit-hook.ts';
import { registerCase } from './commands/case.ts';
import { registerDemo } from './commands/demo.ts';
import { registerEntities } from './commands/entities.ts';
import { registerExport } from './commands/export.ts';
import { registerGaps } from './commands/gaps.ts';
import { registerHunt } from './commands/hunt.ts';
import { registerInvestigate } from './commands/investigate.ts';
import { registerReport } from './commands/report.ts';
import { registerRules } from './commands/rules.ts';
import { registerScope } from './commands/scope.ts';
import { registerServe } from './commands/serve.ts';
import { registerSources } from './commands/sources.ts';
import { registerTimeline } from './commands/timeline.ts';
import { registerVerify } from './commands/verify.ts';
import { type CliIo, processIo } from './io.ts';

/** State a command action fills in for `main` to return. */
export interface CommandContext {
  io: CliIo;
  exitCode: number;
}

/** Builds the command tree; exported so argument parsing can be tested without running. */
export function buildProgram(context: CommandContext): Command {
  const program = new Command('cloudcase')
    .description('Investigate intrusions into cloud accounts from their logs.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    });

  registerInvestigate(program, context);
  registerTimeline(program, context);
  registerDemo(program, context);
  registerVerify(program, context);
  registerSources(program, context);
  registerRules(program, context);
  registerHunt(program, context);
  registerServe(program, context);
  registerCase(program, context);
  registerReport(program, context);
  registerExport(program, context);
  registerGaps(program, context);
  registerEntities(program, context);
  registerScope(program, context);
  auditCommands(program, context);
  for (const command of program.commands) command.exitOverride();

  return program;
}

/** Runs the CLI on `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const context: CommandContext = { io, exitCode: EXIT.ok };
  const program = buildProgram(context);
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
    exitCode = cut ? context.exitCode : reportError(error, io);
  }
  await recordInvocation(context, exitCode, failure);

  return exitCode;
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Help and version output end with a CommanderError whose exit code is 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CloudcaseError) {
    io.stderr.write(`error: ${sanitizeTerminal(error.message)} [${error.code}]\n`);
    return error.exitCode;
  }

  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`internal error: ${sanitizeTerminal(detail)}\n`);
  return EXIT.internal;
}
