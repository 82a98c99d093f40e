import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../../core/errors.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { type VerifyOptions, type VerifyReport, verifyCase } from '../../evidence/index.ts';
import type { VerifyProblem } from '../../evidence/types.ts';
import { checkCaseDatabase } from '../../store/check-database.ts';
import { leftoverCopyWarnings } from '../../store/leftover-copies.ts';
import { noteResults } from '../audit-hook.ts';
import type { CommandContext } from '../main.ts';

interface VerifyFlags {
  case: string;
  json?: boolean;
  publicKey?: string;
  head?: string;
}

/**
 * `cloudcase verify --case DIR`: re-hashes the evidence, checks the signed custody chain,
 * authenticates the database of an encrypted case, and warns about its working copies that
 * killed commands left.
 */
export function registerVerify(program: Command, context: CommandContext): void {
  program
    .command('verify')
    .description(
      're-hash every evidence item and check the hash chain and signatures of the custody ledger',
    )
    .requiredOption('-c, --case <dir>', 'case folder (required)')
    .option(
      '--public-key <file>',
      'check signatures with this public key (PEM), kept apart from the case, not custody.pub',
    )
    .option('--head <hash>', 'fail unless the ledger still ends with this entry hash')
    .option('--json', 'print the verification report as JSON')
    .action(async (flags: VerifyFlags) => {
      const { io } = context;
      const options: VerifyOptions = {};
      if (flags.publicKey !== undefined)
        options.publicKeyFile = path.resolve(io.cwd, flags.publicKey);
      if (flags.head !== undefined) options.expectedHead = flags.head.toLowerCase();
      const caseDir = path.resolve(io.cwd, flags.case);
      const report = await verifyCase(caseDir, options);
      const database = await checkCaseDatabase(caseDir);
      report.problems.push(...database);
      report.ok &&= database.length === 0;
      // A working copy left outside the case is plaintext to delete, not a fault of the case.
      const warnings = [...report.warnings, ...(await leftoverCopyWarnings(caseDir))];
      noteResults(context, report.problems.length);
      context.exitCode = report.ok ? EXIT.ok : EXIT.verification;
      io.stdout.write(
        flags.json
          ? `${JSON.stringify({ ...report, warnings }, null, 2)}\n`
          : renderVerify(report, warnings),
      );
    });
}

function renderVerify(report: VerifyReport, warnings: VerifyProblem[]): string {
  const lines = [
    `${report.ok ? 'verified' : 'FAILED'}: ${report.items_checked} evidence items, ` +
      `${report.entries_checked} custody entries${report.sealed ? ', sealed' : ''}`,
    `  head ${report.head_hash ?? 'none'}`,
    `  key  ${report.key_fingerprint ?? 'none'}`,
  ];
  for (const problem of report.problems) {
    lines.push(`  ${problem.code}: ${sanitizeTerminalLine(problem.message)}`);
  }
  for (const warning of warnings) {
    lines.push(`  warning ${warning.code}: ${sanitizeTerminalLine(warning.message)}`);
  }
  return `${lines.join('\n')}\n`;
}
