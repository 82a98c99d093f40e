import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { readCaseInfo } from '../../case/case-dir.ts';
import { Logger } from '../../core/logger.ts';
import { startWorkbench, type Workbench } from '../../server/workbench.ts';
import type { CommandContext } from '../main.ts';

interface ServeFlags {
  case: string;
  port: number;
  host: string;
  analyst?: string;
}

/** The address the workbench listens on unless `--host` names another. */
export const DEFAULT_HOST = '127.0.0.1';
/** The port the workbench listens on unless `--port` names another. */
export const DEFAULT_PORT = 7420;

/**
 * `cloudcase serve --case DIR`: the browser workbench on one case, until interrupted. The
 * server owns the case database meanwhile; other commands on the case say it is open here.
 */
export function registerServe(
  program: Command,
  context: CommandContext,
  signals: NodeJS.EventEmitter = process,
): void {
  program
    .command('serve')
    .description('open a case in the browser workbench (stop with Ctrl-C)')
    .requiredOption('-c, --case <dir>', 'case folder (required)')
    .option('-p, --port <n>', 'TCP port to listen on; 0 picks a free one', parsePort, DEFAULT_PORT)
    .option(
      '--host <address>',
      'IP address to listen on; anything but loopback exposes the case to the network',
      parseHost,
      DEFAULT_HOST,
    )
    .option('--analyst <name>', 'who marks and audit entries name (default: user@host)')
    .action(async (flags: ServeFlags) => {
      const { io } = context;
      const logger = new Logger(io.stderr);
      const caseDir = path.resolve(io.cwd, flags.case);
      await readCaseInfo(caseDir);
      if (!isLoopback(flags.host)) {
        logger.warn(
          `listening on ${flags.host}: anyone who can reach this address and obtains the URL ` +
            'can read the whole case; prefer 127.0.0.1 with an SSH tunnel',
        );
      }

      const workbench = await startWorkbench({
        caseDir,
        host: flags.host,
        port: flags.port,
        analyst:
          flags.analyst ?? io.env.CLOUDCASE_ANALYST ?? `${os.userInfo().username}@${os.hostname()}`,
        logger,
      });
      io.stdout.write(`cloudcase workbench for ${caseDir}\nopen ${workbench.url}\n`);
      await untilSignal(workbench, signals);
    });
}

function untilSignal(workbench: Workbench, signals: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      workbench.close().then(resolve, reject);
    };
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
  });
}

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.');
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new InvalidArgumentError('expected a TCP port from 0 to 65535');
  }
  return port;
}

function parseHost(value: string): string {
  if (isIP(value) === 0) {
    throw new InvalidArgumentError('expected an IP address such as 127.0.0.1 or ::1');
  }
  return value;
}
