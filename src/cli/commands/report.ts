import path from 'node:path';
import { type Command, Option } from 'commander';
import { readCaseInfo } from '../../case/case-dir.ts';
import { EXIT } from '../../core/errors.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { deadlineLines } from '../../report/deadlines.ts';
import {
  FORMATS,
  type ReportFormat,
  TEMPLATES,
  type Template,
  type WrittenReport,
  writeTemplateReport,
} from '../../report/templates.ts';
import { CaseDb, storedReportPath } from '../../store/index.ts';
import { noteResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';

interface ReportFlags {
  case: string;
  template: Template;
  format: ReportFormat;
  json?: boolean;
}

/** `cloudcase report --case DIR --template T --format F`: writes one report of a case. */
export function registerReport(program: Command, context: CommandContext): void {
  program
    .command('report')
    .description('write the CISA incident report, the summary report or the custody report')
    .requiredOption('-c, --case <dir>', 'case folder, already investigated (required)')
    .addOption(
      new Option('-t, --template <name>', 'which report to write')
        .choices(TEMPLATES)
        .default('summary'),
    )
    .addOption(new Option('-f, --format <format>', 'file format').choices(FORMATS).default('md'))
    .option('--json', 'print what was written as JSON on stdout')
    .action(async (flags: ReportFlags) => {
      const { io } = context;
      const caseDir = path.resolve(io.cwd, flags.case);
      await readCaseInfo(caseDir);
      // Read-only, so a sealed case can still be reported on; the audit trail records the run.
      const db = await CaseDb.openReadOnly(caseDir);
      let written: WrittenReport;
      try {
        written = await writeTemplateReport(db, flags.template, flags.format);
        noteResults(context, written.cisa === null ? 1 : written.cisa.missing.length);
      } finally {
        await db.close();
      }
      written = { ...written, file: storedReportPath(written.file) };

      // An incomplete CISA report is written but cannot be filed yet.
      context.exitCode = written.cisa?.status === 'incomplete' ? EXIT.partial : EXIT.ok;
      io.stdout.write(
        flags.json ? `${JSON.stringify(jsonOf(written), null, 2)}\n` : textOf(written),
      );
    });
}

function jsonOf(written: WrittenReport): Record<string, unknown> {
  return {
    template: written.template,
    format: written.format,
    file: written.file,
    deadlines: written.deadlines,
    ...(written.cisa === null
      ? {}
      : {
          version: written.cisa.version,
          status: written.cisa.status,
          missing: written.cisa.missing,
          warnings: written.cisa.warnings,
        }),
  };
}

/** Formats the text output of `report`: the file written, the clocks, the CISA fields missing. */
export function textOf(written: WrittenReport): string {
  const lines = [`Wrote ${sanitizeTerminalLine(written.file)}`, '', 'Reporting deadlines'];
  lines.push(...deadlineLines(written.deadlines).map((line) => `  ${line}`));
  const cisa = written.cisa;
  if (cisa !== null) {
    lines.push('', `CISA report version ${cisa.version}: ${cisa.status}`);
    for (const item of cisa.missing) {
      const fill = item.key === null ? 'comes from detections' : `set ${item.key} in case.json`;
      lines.push(`  missing: ${item.label} (${item.section}); ${fill}`);
    }
    for (const warning of cisa.warnings) lines.push(`  check: ${sanitizeTerminalLine(warning)}`);
  }

  return `${lines.join('\n')}\n`;
}
