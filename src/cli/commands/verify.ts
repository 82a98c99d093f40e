import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../../core/errors.ts';
import { sanitizeTerminalLine } from '../../core/escape.ts';
import { verifyCase } from '../../evidence/index.ts';
import type { CommandContext } from '../main.ts';

/** `cloudcase verify --case DIR`: re-hashes the evidence and checks the custody chain. */
export function registerVerify(program: Command, context: CommandContext): void {
  program
    .command('verify')
    .description('re-hash every evidence item and check the hash chain of the custody ledger')
    .requiredOption('-c, --case <dir>', 'case folder (required)')
    .option('--json', 'print the verification report as JSON')
    .action(async (flags: { case: string; json?: boolean }) => {
      const { io } = context;
      const report = await verifyCase(path.resolve(io.cwd, flags.case));
      context.exitCode = report.ok ? EXIT.ok : EXIT.verification;
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }

      io.stdout.write(
        `${report.ok ? 'verified' : 'FAILED'}: ${report.items_checked} evidence items, ` +
          `${report.entries_checked} custody entries\n`,
      );
      for (const problem of report.problems) {
        io.stdout.write(`  ${problem.code}: ${sanitizeTerminalLine(problem.message)}\n`);
      }
    });
}
