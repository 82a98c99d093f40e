import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { CloudcaseError, EXIT } from './errors.ts';

/** Where Debian's `chromium` package installs the browser; `CLOUDCASE_CHROMIUM` overrides it. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a headless browser that talks to nothing but the pages it is given: no first-run
 * screens, no background updates, sync or QUIC probes that would leave the machine.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A running headless browser with its own throwaway profile. */
export interface HeadlessBrowser {
  context: BrowserContext;
  /** Closes the browser and deletes its profile folder. */
  close(): Promise<void>;
}

/** The browser executable to use, or a `chromium_missing` error that says how to install it. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const executable = env.CLOUDCASE_CHROMIUM || DEFAULT_CHROMIUM_PATH;
  if (!existsSync(executable)) {
    throw new CloudcaseError(
      'chromium_missing',
      `No Chromium browser at ${executable}. Install Debian's package with ` +
        '`apt-get install -y chromium`, or set CLOUDCASE_CHROMIUM to the path of a Chromium binary.',
      EXIT.usage,
    );
  }
  return executable;
}

/**
 * Starts headless Chromium with a fresh profile in a temporary folder. The profile is removed
 * on `close`, so no cookie or cache of one run reaches the next.
 */
export async function launchChromium(): Promise<HeadlessBrowser> {
  const executablePath = chromiumPath();
  const profile = await mkdtemp(path.join(os.tmpdir(), 'cloudcase-chromium-'));
  try {
    // Loaded here, not at the top: importing playwright-core takes about a second of CPU, which
    // every command would otherwise pay at start, though only PDF reports and tests use it.
    const { chromium } = await import('playwright-core');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    return {
      context,
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
