import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import { Logger } from '../../core/logger.ts';
import { readPlaceholders } from '../../detect/sigma/placeholders.ts';
import { runInvestigate } from '../../pipeline/investigate.ts';
import type { RunSummary } from '../../pipeline/types.ts';
import { noteResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';
import { terminalProgress } from '../progress-bar.ts';
import { printRunResult } from '../run-output.ts';

interface InvestigateFlags {
  case: string;
  rules?: string[];
  builtinRules: boolean;
  json?: boolean;
  verbose?: boolean;
  cloudtrailPublicKeys?: string;
  cloudtrailSignatures?: string;
  intel?: string[];
  placeholders?: string;
}

/** `cloudcase investigate PATH... --case DIR`: the main job. */
export function registerInvestigate(program: Command, context: CommandContext): void {
  program
    .command('investigate')
    .description(
      'acquire logs as evidence, parse and normalize them, run the rules, store and report',
    )
    .argument('<paths...>', 'log files, folders (read recursively), .gz files and .zip archives')
    .requiredOption('-c, --case <dir>', 'case folder, created when it does not exist (required)')
    .option('-r, --rules <dir...>', 'extra Sigma rule folders, added to the built-in pack')
    .option('--no-builtin-rules', 'leave out the built-in rule pack')
    .option(
      '--placeholders <file>',
      'YAML file of placeholder values for rules with the expand modifier: name: [values]',
    )
    .option('--json', 'print the run summary as JSON on stdout instead of the text summary')
    .option('-v, --verbose', 'log debug details to stderr')
    .option(
      '--cloudtrail-public-keys <file>',
      'JSON output of `aws cloudtrail list-public-keys`, to check CloudTrail digest signatures',
    )
    .option(
      '--cloudtrail-signatures <file>',
      'CloudTrail digest signatures saved from S3 object metadata (see cloudcase gaps --help)',
    )
    .option(
      '--intel <file...>',
      'threat intel files matched against every event: STIX 2.1, MISP JSON, CSV or plain lists',
    )
    .action(async (paths: string[], flags: InvestigateFlags) => {
      const summary = await investigate(paths, flags, context);
      noteResults(context, summary.records.stored);
      context.exitCode = exitCodeOf(summary);
    });
}

async function investigate(
  paths: string[],
  flags: InvestigateFlags,
  context: CommandContext,
): Promise<RunSummary> {
  const { io } = context;
  const logger = new Logger(io.stderr, flags.verbose ? 'debug' : 'info');
  const caseDir = path.resolve(io.cwd, flags.case);
  const inputs = paths.map((p) => path.resolve(io.cwd, p));
  const rulesDirs = (flags.rules ?? []).map((dir) => path.resolve(io.cwd, dir));
  await requireExisting(inputs, 'input');
  await requireExisting(rulesDirs, 'rule folder');
  const keys = flags.cloudtrailPublicKeys && path.resolve(io.cwd, flags.cloudtrailPublicKeys);
  if (keys) await requireExisting([keys], 'public key file');
  const signatures = flags.cloudtrailSignatures && path.resolve(io.cwd, flags.cloudtrailSignatures);
  if (signatures) await requireExisting([signatures], 'signatures file');
  const intelFiles = (flags.intel ?? []).map((file) => path.resolve(io.cwd, file));
  await requireExisting(intelFiles, 'intel file');
  const placeholders = await placeholdersOf(flags.placeholders, io.cwd);
  const result = await runInvestigate({
    paths: inputs,
    caseDir,
    rulesDirs,
    noBuiltinRules: !flags.builtinRules,
    logger,
    ...(keys ? { cloudtrailPublicKeys: keys } : {}),
    ...(signatures ? { cloudtrailSignatures: signatures } : {}),
    intelFiles,
    ...(placeholders ? { placeholders } : {}),
    ...(flags.json ? {} : { progress: terminalProgress(io.stderr) }),
    ...(io.env.CLOUDCASE_ANALYST ? { analyst: io.env.CLOUDCASE_ANALYST } : {}),
  });
  printRunResult(result, Boolean(flags.json), io);

  return result.summary;
}

/** Reads the `--placeholders` file, when one is given. */
export async function placeholdersOf(
  file: string | undefined,
  cwd: string,
): Promise<Record<string, string[]> | undefined> {
  if (file === undefined) return undefined;
  const resolved = path.resolve(cwd, file);
  await requireExisting([resolved], 'placeholders file');
  return readPlaceholders(resolved);
}

/**
 * Rejects a command line that names a path that does not exist, before a case is created: a
 * mistyped path is a usage error, not a partial investigation.
 */
export async function requireExisting(paths: readonly string[], what: string): Promise<void> {
  for (const target of paths) {
    const exists = await lstat(target).then(
      () => true,
      () => false,
    );
    if (exists) continue;

    throw new CloudcaseError(
      'path_not_found',
      `${what} ${target} does not exist; check the path`,
      EXIT.usage,
    );
  }
}

/** Exit code of a finished run: partial when any record, input, rule or intel entry was rejected. */
export function exitCodeOf(summary: RunSummary): number {
  const rejectedInput =
    summary.evidence.failed.length > 0 ||
    summary.rules.problems.length > 0 ||
    (summary.intel?.problems ?? 0) > 0;
  if (summary.records.rejected > 0 || rejectedInput) return EXIT.partial;
  return EXIT.ok;
}
