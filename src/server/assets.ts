/**
 * The browser app, bundled by esbuild from `src/web/` when the server starts and served from
 * memory: one script, one stylesheet and the page. Nothing is loaded from another origin.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const WEB_DIR = path.resolve(import.meta.dirname, '../web');

/** One asset: its content type and bytes. */
export interface Asset {
  type: string;
  body: string;
}

/** Bundles the app; the map is keyed by URL path. */
export async function buildAssets(): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints: [path.join(WEB_DIR, 'main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]?.text ?? '';

  const require = createRequire(import.meta.url);
  const chartCss = await readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const appCss = await readFile(path.join(WEB_DIR, 'app.css'), 'utf8');
  const page = await readFile(path.join(WEB_DIR, 'index.html'), 'utf8');

  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: page }],
    ['/app.js', { type: 'text/javascript; charset=utf-8', body: script }],
    ['/app.css', { type: 'text/css; charset=utf-8', body: `${chartCss}\n${appCss}` }],
  ]);
}
