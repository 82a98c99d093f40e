import path from 'node:path';
import type { Command } from 'commander';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { Logger } from '../../core/logger.ts';
import { type HuntResult, runHunt } from '../../pipeline/hunt.ts';
import { storedReportPath } from '../../store/index.ts';
import { noteResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';
import { requireExisting } from './investigate.ts';

interface HuntFlags {
  case: string;
  rules?: string[];
  intel?: string[];
  json?: boolean;
  verbose?: boolean;
}

/** `cloudcase hunt --case DIR --rules DIR...`: runs Sigma rules over an ingested case in SQL. */
export function registerHunt(program: Command, context: CommandContext): void {
  program
    .command('hunt')
    .description('run Sigma rules over every event of an ingested case and add what they find')
    .requiredOption('-c, --case <dir>', 'case folder, already investigated (required)')
    .option(
      '-r, --rules <dir...>',
      'Sigma rule folders or files, read recursively (required unless --intel is given)',
    )
    .option(
      '--intel <file...>',
      'threat intel files matched against every event: STIX 2.1, MISP JSON, CSV or plain lists',
    )
    .option('--json', 'print the hunt result as JSON on stdout instead of the text summary')
    .option('-v, --verbose', 'log debug details to stderr')
    .action(async (flags: HuntFlags) => {
      const { io } = context;
      const logger = new Logger(io.stderr, flags.verbose ? 'debug' : 'info');
      if (flags.rules === undefined && flags.intel === undefined) {
        throw new CloudcaseError(
          'missing_rules',
          'hunt needs --rules <dir...>, --intel <file...> or both',
          EXIT.usage,
        );
      }
      const rulesDirs = (flags.rules ?? []).map((dir) => path.resolve(io.cwd, dir));
      await requireExisting(rulesDirs, 'rule folder');
      const intelFiles = (flags.intel ?? []).map((file) => path.resolve(io.cwd, file));
      await requireExisting(intelFiles, 'intel file');
      const result = await runHunt({
        caseDir: path.resolve(io.cwd, flags.case),
        rulesDirs,
        intelFiles,
        logger,
        ...(io.env.CLOUDCASE_ANALYST ? { analyst: io.env.CLOUDCASE_ANALYST } : {}),
      });
      // Rule detections, correlation hits and intel indicators are each a result of the hunt.
      const intelMatches = result.intel?.indicators_matched ?? 0;
      noteResults(context, result.detections_added + result.correlation_hits_added + intelMatches);
      const rejected = result.problems.length > 0 || (result.intel?.problems ?? 0) > 0;
      context.exitCode = rejected ? EXIT.partial : EXIT.ok;
      io.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : renderHunt(result));
    });
}

/** The text summary of a hunt: counts per rule, then the rules that did not run. */
export function renderHunt(result: HuntResult): string {
  const lines = [
    `${plural(result.rules.length, 'rule')} ran over ${plural(result.events, 'event')} in ` +
      `${result.seconds} s; ${plural(result.detections_added, 'new detection')}, ` +
      `${plural(result.correlation_hits_added, 'new correlation hit')}.`,
  ];
  const ran = [...result.rules].sort(
    (a, b) => b.matches - a.matches || a.file.localeCompare(b.file),
  );
  for (const rule of ran) {
    const noun = rule.kind === 'correlation' ? 'hit' : 'event';
    const unit = rule.matches === 1 ? noun : `${noun}s`;
    const added = rule.added > 0 ? ` (${rule.added} new)` : '';
    lines.push(
      `  ${String(rule.matches).padStart(6)} ${unit.padEnd(6)} ${sanitizeTerminalLine(rule.title)}${added}`,
    );
  }
  if (result.problems.length > 0) {
    // One file can hold several problems (a YAML file with many errors), so files are counted.
    const files = new Set(result.problems.map((problem) => problem.file)).size;
    const problems = result.problems.length;
    lines.push(
      '',
      `${problems} ${problems === 1 ? 'problem' : 'problems'} in ${files} ` +
        `${files === 1 ? 'file' : 'files'} kept rules from running:`,
    );
    for (const problem of result.problems) {
      const where = problem.line === null ? problem.file : `${problem.file}:${problem.line}`;
      lines.push(
        `  ${sanitizeTerminalLine(where)}  ${problem.code}  ${sanitizeTerminalLine(problem.message)}`,
      );
    }
  }
  if (result.intel) lines.push('', intelLine(result.intel));
  lines.push('', 'Reports:', ...result.reports.map((file) => `  ${storedReportPath(file)}`));
  return `${lines.join('\n')}\n`;
}

/** The intel summary: indicators loaded and matched, events matched, entries not read. */
export function intelLine(intel: NonNullable<HuntResult['intel']>): string {
  return (
    `Threat intel: ${plural(intel.indicators, 'indicator')} from ` +
    `${plural(intel.files.length, 'file')}, ` +
    `${intel.indicators_matched} of them matched ${plural(intel.events_matched, 'event')}; ` +
    `${plural(intel.problems, 'entry', 'entries')} could not be read.`
  );
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
