import path from 'node:path';
import type { Command } from 'commander';
import { readCaseInfo } from '../../case/case-dir.ts';
import { closeCase, initCase, setCase } from '../../case/case-lifecycle.ts';
import { retentionStatus } from '../../case/retention.ts';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import { CASE_KEY_FILE_ENV, readGivenKey } from '../../evidence/index.ts';
import { readCaseFields } from '../../report/case-fields.ts';
import { reportingDeadlines } from '../../report/deadlines.ts';
import type { CommandContext } from '../main.ts';
import { registerCaseDecrypt } from './case-decrypt.ts';
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

/** `cloudcase case init|show|set|close|audit|hold|release|purge|keygen|decrypt`. */
export function registerCase(program: Command, context: CommandContext): void {
  const group = program
    .command('case')
    .description('create, show and change a case: its fields, tasks, notes, retention and seal');

  fieldOptions(authorOptions(group.command('init')))
    .description('create a case folder with its fields and signing key')
    .option(
      '--encrypt',
      'store the evidence, database and reports encrypted (AES-256-GCM) under the case key',
    )
    .option(
      '--case-key-file <file>',
      'file with the case key, 64 hex digits (default $CLOUDCASE_CASE_KEY_FILE)',
    )
    .action(async (flags: InitFlags) => {
      const caseDir = caseDirOf(flags, context);
      const key = flags.encrypt ? await encryptionKeyOf(flags, context) : undefined;
      await initCase(caseDir, authorOf(flags, context), editOf(flags), key);
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
  registerCaseDecrypt(group, context);
}

interface InitFlags extends FieldFlags {
  encrypt?: boolean;
  caseKeyFile?: string;
}

async function encryptionKeyOf(flags: InitFlags, context: CommandContext): Promise<Buffer> {
  const file = flags.caseKeyFile ?? context.io.env[CASE_KEY_FILE_ENV];
  const key = file === undefined ? null : await readGivenKey(path.resolve(context.io.cwd, file));
  if (key !== null) return key;

  throw new CloudcaseError(
    'case_key_missing',
    '--encrypt needs the case key: pass --case-key-file or set CLOUDCASE_CASE_KEY_FILE ' +
      '(cloudcase case keygen --case-key --out FILE writes one)',
    EXIT.usage,
  );
}

async function printCase(
  caseDir: string,
  flags: { json?: boolean },
  context: CommandContext,
): Promise<void> {
  const info = await readCaseInfo(caseDir);
  const retention = await retentionStatus(caseDir);
  const deadlines = reportingDeadlines(await readCaseFields(caseDir));
  context.io.stdout.write(
    flags.json
      ? `${JSON.stringify({ ...info, retention_status: retention, deadlines }, null, 2)}\n`
      : renderCase(info, retention, deadlines),
  );
}
