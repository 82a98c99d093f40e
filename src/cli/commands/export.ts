import path from 'node:path';
import { type Command, Option } from 'commander';
import { readCaseInfo } from '../../case/case-dir.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { EXPORT_FORMATS, type ExportFormat, exportCase } from '../../export/index.ts';
import { CaseDb } from '../../store/index.ts';
import { noteResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';

interface ExportFlags {
  case: string;
  format: ExportFormat;
  out: string;
  json?: boolean;
}

/** `cloudcase export --case DIR --format F --out PATH`: the case for other tools. */
export function registerExport(program: Command, context: CommandContext): void {
  program
    .command('export')
    .description(
      'export the timeline for Timesketch, indicators as STIX 2.1, or events as OCSF Parquet',
    )
    .requiredOption('-c, --case <dir>', 'case folder, already investigated (required)')
    .addOption(
      new Option('-f, --format <format>', 'export format (required)')
        .choices(EXPORT_FORMATS)
        .makeOptionMandatory(),
    )
    .requiredOption(
      '-o, --out <path>',
      'file to write, or for ocsf-parquet a folder; must not exist yet (required)',
    )
    .option('--json', 'print what was written as JSON on stdout')
    .action(async (flags: ExportFlags) => {
      const { io } = context;
      const caseDir = path.resolve(io.cwd, flags.case);
      const out = path.resolve(io.cwd, flags.out);
      const info = await readCaseInfo(caseDir);
      // Read-only, so a sealed case can still be exported; the audit trail records the run.
      const db = await CaseDb.openReadOnly(caseDir);
      try {
        const result = await exportCase(db, flags.format, out, info.title);
        noteResults(context, result.count);
        io.stdout.write(
          flags.json
            ? `${JSON.stringify(result, null, 2)}\n`
            : `Wrote ${result.count} ${result.unit} to ${sanitizeTerminalLine(out)}\n`,
        );
      } finally {
        await db.close();
      }
    });
}
