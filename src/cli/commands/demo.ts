import path from 'node:path';
import type { Command } from 'commander';
import { Logger } from '../../core/logger.ts';
import { generateScenario } from '../../demo/index.ts';
import { runInvestigate } from '../../pipeline/investigate.ts';
import type { CommandContext } from '../main.ts';
import { terminalProgress } from '../progress-bar.ts';
import { printRunResult } from '../run-output.ts';
import { exitCodeOf } from './investigate.ts';

interface DemoFlags {
  case: string;
  logs: string;
  json?: boolean;
}

/**
 * `cloudcase demo`: writes the bundled incident scenario as CloudTrail delivery files, then
 * investigates it like any other evidence.
 */
export function registerDemo(program: Command, context: CommandContext): void {
  program
    .command('demo')
    .description('generate the bundled incident scenario and investigate it')
    .option('-c, --case <dir>', 'case folder to investigate into', 'demo-case')
    .option('--logs <dir>', 'folder the scenario logs are written to', 'demo-logs')
    .option('--json', 'print the run summary as JSON on stdout')
    .action(async (flags: DemoFlags) => {
      const { io } = context;
      const logsDir = path.resolve(io.cwd, flags.logs);
      const caseDir = path.resolve(io.cwd, flags.case);
      const logger = new Logger(io.stderr);
      const scenario = await generateScenario(logsDir);
      logger.info('scenario written', { folder: logsDir, files: scenario.files.length });

      const result = await runInvestigate({
        paths: [logsDir],
        caseDir,
        logger,
        ...(flags.json ? {} : { progress: terminalProgress(io.stderr) }),
      });
      printRunResult(result, Boolean(flags.json), io);
      context.exitCode = exitCodeOf(result.summary);
    });
}
