import type { Command } from 'commander';
import { LOGSOURCE_ROUTES, type LogSourceRoute } from '../../detect/sigma/index.ts';
import { FORMATS } from '../../sources/index.ts';
import type { CommandContext } from '../main.ts';

/** One supported format as `cloudcase sources` lists it. */
export interface SourceListing {
  id: string;
  description: string;
  example: string;
  /** The `source` values of its events, which `timeline --source` takes. */
  event_sources: string[];
  /**
   * Sigma logsources whose rules run on the format's events, as `product/service`, or as
   * `category=<name>` for a generic category.
   */
  sigma: string[];
}

/** The supported formats, with the Sigma logsources routed to each. */
export function listSources(): SourceListing[] {
  return FORMATS.map((format) => {
    const sources = format.eventSources ?? [format.id];
    // A route's other sources are left out: GCP audit rules reach GKE's Kubernetes entries
    // through them, but not the bare Kubernetes audit events of the same source.
    const routes = LOGSOURCE_ROUTES.filter((route) => sources.includes(route.source));
    const sigma = routes.map(logSourceLabel);
    return {
      id: format.id,
      description: format.description,
      example: format.example,
      event_sources: [...sources],
      sigma: [...new Set(sigma)],
    };
  });
}

/**
 * Names a route's logsource as `product/service`, or as `category=<name>` for a generic rule
 * category such as `firewall`, which names no product.
 */
function logSourceLabel(route: LogSourceRoute): string {
  const parts = [route.product, route.service].filter((part) => part !== null);
  if (parts.length === 0 && route.category !== null) return `category=${route.category}`;
  return parts.join('/');
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
