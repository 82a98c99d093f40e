#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so no build step is needed between install and use.
import { register } from 'tsx/esm/api';

register();
// A closed pipe (for example `| head`) ends the output without crashing the process, and the
// command's own exit code is kept.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
