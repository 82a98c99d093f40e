import { createPrivateKey, createPublicKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { readAudit } from '../../case/audit-trail.ts';
import { readCaseInfo } from '../../case/case-dir.ts';
import { parseText } from '../../case/case-fields.ts';
import { placeHold, releaseHold } from '../../case/case-lifecycle.ts';
import { purgeCase } from '../../case/retention.ts';
import { CloudcaseError, EXIT } from '../../core/errors.ts';
import { createKeyFile, fingerprintOf, newKeyText } from '../../evidence/index.ts';
import { noteResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';
import { type AuthorFlags, authorOf, authorOptions, caseDirOf } from './case-options.ts';
import { renderAudit } from './case-render.ts';

/** Registers the `case` subcommands for the audit trail, legal hold, purge and keys. */
export function registerCaseRecords(group: Command, context: CommandContext): void {
  group
    .command('audit')
    .description('print the audit trail: every command run on the case, who ran it and when')
    .requiredOption('-c, --case <dir>', 'case folder (required)')
    .option('--limit <n>', 'print only the last n entries', parseLimit)
    .option('--json', 'print the trail as JSON')
    .action(async (flags: { case: string; limit?: number; json?: boolean }) => {
      const caseDir = caseDirOf(flags, context);
      await readCaseInfo(caseDir);
      const trail = await readAudit(caseDir, flags.limit);
      noteResults(context, trail.entries.length);
      if (trail.broken.length > 0) context.exitCode = EXIT.verification;
      context.io.stdout.write(
        flags.json
          ? `${JSON.stringify(trail, null, 2)}\n`
          : renderAudit(trail.entries, trail.broken),
      );
    });

  authorOptions(group.command('hold'))
    .description('place a legal hold: nothing of the case may be deleted until it is released')
    .requiredOption('--reason <text>', 'why the case is held, such as the matter it belongs to')
    .action(async (flags: AuthorFlags & { reason: string }) => {
      const info = await placeHold(
        caseDirOf(flags, context),
        authorOf(flags, context),
        parseText(flags.reason, '--reason'),
      );
      context.io.stdout.write(`legal hold placed on case ${info.id}\n`);
    });

  authorOptions(group.command('release'))
    .description('release the legal hold')
    .action(async (flags: AuthorFlags) => {
      const info = await releaseHold(caseDirOf(flags, context), authorOf(flags, context));
      context.io.stdout.write(`legal hold released on case ${info.id}\n`);
    });

  group
    .command('purge')
    .description('delete the whole case folder once it is closed, its retention ended and no hold')
    .requiredOption('-c, --case <dir>', 'case folder (required)')
    .requiredOption('--confirm <id>', 'the case id, to confirm which case is deleted (required)')
    .option(
      '--without-case-key',
      'purge an encrypted case whose key was destroyed: its evidence is then only checked to exist',
    )
    .action(async (flags: { case: string; confirm: string; withoutCaseKey?: boolean }) => {
      const caseDir = caseDirOf(flags, context);
      const info = await readCaseInfo(caseDir);
      if (flags.confirm !== info.id) {
        throw new CloudcaseError(
          'confirm_mismatch',
          `--confirm ${flags.confirm} is not the id of this case; run cloudcase case show for it`,
          EXIT.usage,
        );
      }
      const result = await purgeCase(caseDir, new Date(), {
        withoutCaseKey: flags.withoutCaseKey === true,
      });
      const lines = [`deleted case ${info.id} (${caseDir}); its retention ended ${result.ends_at}`];
      for (const folder of result.working_copies) {
        lines.push(`deleted the decrypted working copy ${folder} that a killed command left`);
      }
      context.io.stdout.write(`${lines.join('\n')}\n`);
    });

  group
    .command('keygen')
    .description(
      'write a new Ed25519 signing key (PEM), or with --case-key a case encryption key, to ' +
        'keep outside the case (mode 0600)',
    )
    .requiredOption('--out <file>', 'file to write; it must not exist (required)')
    .option('--case-key', 'write a 256-bit case encryption key (64 hex digits) instead')
    .action(async (flags: { out: string; caseKey?: boolean }) => {
      const file = path.resolve(context.io.cwd, flags.out);
      if (flags.caseKey) {
        await writeFile(file, newKeyText(), { mode: 0o600, flag: 'wx' }).catch((error: unknown) => {
          const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
          throw new CloudcaseError(
            exists ? 'key_file_exists' : 'key_file_unwritable',
            `${file} ${exists ? 'exists already' : 'cannot be written'}; choose another --out file`,
            EXIT.usage,
            { cause: error },
          );
        });
        context.io.stdout.write(`wrote ${file}\n`);
        return;
      }
      const key = createPublicKey(createPrivateKey(await createKeyFile(file)));
      context.io.stdout.write(`wrote ${file}\nfingerprint ${fingerprintOf(key)}\n`);
    });
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidArgumentError('give a whole number from 1');
  }
  return limit;
}
