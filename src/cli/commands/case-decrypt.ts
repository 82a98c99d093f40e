import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readCaseInfo } from '../../case/case-dir.ts';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import { caseCipher } from '../../evidence/index.ts';
import { decryptCaseFile } from '../../store/encrypted-files.ts';
import type { CommandContext } from '../main.ts';
import { caseDirOf } from './case-options.ts';

/** Registers `case decrypt`, which reads an encrypted report or database of a case. */
export function registerCaseDecrypt(group: Command, context: CommandContext): void {
  group
    .command('decrypt')
    .description('decrypt a report (reports/*.enc) or the database (case.duckdb.enc) of a case')
    .argument('<file>', 'the encrypted file, such as reports/report.md.enc inside the case')
    .requiredOption('-c, --case <dir>', 'case folder (required)')
    .option('-o, --out <file>', 'file to write, created with mode 0600 (default: stdout)')
    .action(async (file: string, flags: { case: string; out?: string }) => {
      const { io } = context;
      const caseDir = caseDirOf(flags, context);
      await readCaseInfo(caseDir);
      const cipher = await caseCipher(caseDir);
      if (cipher === null) {
        throw new CloudcaseError(
          'not_encrypted',
          `case ${caseDir} is not encrypted; read its files directly`,
          EXIT.usage,
        );
      }
      const source = path.resolve(io.cwd, file);
      const out =
        flags.out === undefined
          ? io.stdout
          : createWriteStream(path.resolve(io.cwd, flags.out), { flags: 'wx', mode: 0o600 });
      await decryptCaseFile(cipher, source, out, flags.out !== undefined);
    });
}
