import type { Command } from 'commander';
import { LOGSOURCE_ROUTES, routeSources } from '../../detect/sigma/index.ts';
import { FORMATS } from '../../sources/index.ts';
import type { CommandContext } from '../main.ts';

/** One supported format as `cloudcase sources` lists it. */
export interface SourceListing {
  id: string;
  description: string;
  example: string;
  /** The `source` values of its events, which `timeline --source` takes. */
  event_sources: string[];
  /** Sigma logsources whose rules run on the format's events, as `product/service`. */
  sigma: string[];
}

/** The supported formats, with the Sigma logsources routed to each. */
export function listSources(): SourceListing[] {
  return FORMATS.map((format) => {
    const sources = format.eventSources ?? [format.id];
    const routes = LOGSOURCE_ROUTES.filter((route) =>
      routeSources(route).some((source) => sources.includes(source)),
    );
    const sigma = routes.map((route) =>
      [route.product, route.service].filter((part) => part !== null).join('/'),
    );
    return {
      id: format.id,
      description: format.description,
      example: format.example,
      event_sources: [...sources],
      sigma: [...new Set(sigma)],
    };
  });
}

/** `cloudcase sources`: lists the log formats cloudcase recognises and reads. */
export function registerSources(program: Command, context: CommandContext): void {
  program
    .command('sources')
    .description('list the log formats cloudcase recognises by itself, with an example file name')
    .option('--json', 'print the list as JSON')
    .action((flags: { json?: boolean }) => {
      const { io } = context;
      const listing = listSources();
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
        return;
      }
      const width = Math.max(...listing.map((entry) => entry.id.length));
      for (const entry of listing) {
        const sigma = entry.sigma.length === 0 ? 'none' : entry.sigma.join(', ');
        io.stdout.write(`${entry.id.padEnd(width)}  ${entry.description}\n`);
        io.stdout.write(
          `${' '.repeat(width)}  example: ${entry.example}; Sigma logsource: ${sigma}\n`,
        );
      }
    });
}
