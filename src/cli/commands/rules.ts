import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../../core/errors.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { checkRules, type RuleCheckReport } from '../../detect/sigma/index.ts';
import type { CommandContext } from '../main.ts';
import { placeholdersOf, requireExisting } from './investigate.ts';

/** `cloudcase rules check PATH...`: validates Sigma rule trees and lists every issue. */
export function registerRules(program: Command, context: CommandContext): void {
  const rules = program.command('rules').description('work with Sigma rule files');
  rules
    .command('check')
    .description(
      'load Sigma rule folders or files as investigate would and list every issue, ' +
        'with its code, severity, file, line and field',
    )
    .argument('<paths...>', 'rule folders (read recursively for *.yml and *.yaml) or rule files')
    .option('--json', 'print one JSON document: totals, the status of each file, and the issues')
    .option(
      '--placeholders <file>',
      'YAML file of placeholder values for rules with the expand modifier: name: [values]',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 when no rule has an error, 3 when some rules have errors, ' +
        '2 when a path does not exist.\n',
    )
    .action(async (paths: string[], flags: { json?: boolean; placeholders?: string }) => {
      const { io } = context;
      const roots = paths.map((p) => path.resolve(io.cwd, p));
      await requireExisting(roots, 'rule path');
      const placeholders = await placeholdersOf(flags.placeholders, io.cwd);

      const report = await checkRules(roots, placeholders);
      context.exitCode = report.ok ? EXIT.ok : EXIT.partial;
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      io.stdout.write(renderCheck(report));
    });
  rules.exitOverride();
  for (const command of rules.commands) command.exitOverride();
}

const HEADER = ['SEVERITY', 'CODE', 'LOCATION', 'FIELD', 'MESSAGE'];

/**
 * Renders the issues as a table, one issue a line, and a closing line of totals. Every cell is
 * escaped, because file names, field paths and messages carry rule content.
 */
export function renderCheck(report: RuleCheckReport): string {
  const rows = report.issues.map((issue) =>
    [
      issue.severity,
      issue.code,
      issue.line === null ? issue.file : `${issue.file}:${issue.line}`,
      issue.field ?? '-',
      issue.message,
    ].map(sanitizeTerminalLine),
  );

  let text = '';
  if (rows.length > 0) {
    const widths = HEADER.slice(0, -1).map((title, column) =>
      Math.max(title.length, ...rows.map((row) => row[column]!.length)),
    );
    for (const row of [HEADER, ...rows]) {
      const cells = row.map((cell, column) => cell.padEnd(widths[column] ?? 0));
      text += `${cells.join('  ').trimEnd()}\n`;
    }
    text += '\n';
  }

  const { totals } = report;
  text +=
    `checked ${plural(totals.files, 'file')} (${totals.loaded} loaded, ` +
    `${totals.partial} partly loaded, ${totals.failed} failed): ${plural(totals.rules, 'rule')}, ` +
    `${plural(totals.errors, 'error')}, ${plural(totals.warnings, 'warning')}\n`;
  return text;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
