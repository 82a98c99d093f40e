import type { Command } from 'commander';
import { readCaseInfo } from '../../case/case-dir.ts';
import { closeCase, initCase, setCase } from '../../case/case-lifecycle.ts';
import { retentionStatus } from '../../case/retention.ts';
import type { CommandContext } from '../main.ts';
import {
  authorOf,
  authorOptions,
  caseDirOf,
  editOf,
  type FieldFlags,
  fieldOptions,
  nothingToSet,
  setOptions,
} from './case-options.ts';
import { registerCaseRecords } from './case-records.ts';
import { renderCase } from './case-render.ts';

/** `cloudcase case init|show|set|close|audit|hold|release|purge|keygen`. */
export function registerCase(program: Command, context: CommandContext): void {
  const group = program
    .command('case')
    .description('create, show and change a case: its fields, tasks, notes, retention and seal');

  fieldOptions(authorOptions(group.command('init')))
    .description('create a case folder with its fields and signing key')
    .action(async (flags: FieldFlags) => {
      const caseDir = caseDirOf(flags, context);
      await initCase(caseDir, authorOf(flags, context), editOf(flags));
      await printCase(caseDir, flags, context);
    });

  group
    .command('show')
    .description('print the case fields, tasks, notes, retention and history')
    .requiredOption('-c, --case <dir>', 'case folder (required)')
    .option('--json', 'print the case as JSON')
    .action(async (flags: { case: string; json?: boolean }) => {
      await printCase(caseDirOf(flags, context), flags, context);
    });

  setOptions(fieldOptions(authorOptions(group.command('set'))))
    .description('change case fields, add tasks and notes; each change records who and when')
    .action(async (flags: FieldFlags) => {
      const edit = editOf(flags);
      if (Object.keys(edit).length === 0) throw nothingToSet();
      const caseDir = caseDirOf(flags, context);
      await setCase(caseDir, authorOf(flags, context), edit);
      await printCase(caseDir, flags, context);
    });

  authorOptions(group.command('close'))
    .description('close the case: phase post-incident and a final signed seal entry')
    .option('--lessons <text>', 'lessons learned, replacing the earlier text')
    .action(async (flags: FieldFlags) => {
      const caseDir = caseDirOf(flags, context);
      await closeCase(caseDir, authorOf(flags, context), editOf(flags));
      await printCase(caseDir, flags, context);
    });

  registerCaseRecords(group, context);
}

async function printCase(
  caseDir: string,
  flags: { json?: boolean },
  context: CommandContext,
): Promise<void> {
  const info = await readCaseInfo(caseDir);
  const retention = await retentionStatus(caseDir);
  context.io.stdout.write(
    flags.json
      ? `${JSON.stringify({ ...info, retention_status: retention }, null, 2)}\n`
      : renderCase(info, retention),
  );
}
