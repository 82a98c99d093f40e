import cliProgress from 'cli-progress';
import { sanitizeTerminalLine } from '../core/escape.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { OutputStream } from './io.ts';

/** Redraws at most this often, so that drawing never slows ingestion. */
const REDRAW_MS = 200;

/**
 * A progress line on a TTY (records read, rate, current file); nothing at all when the stream is
 * a pipe or a file, so scripted output stays clean.
 */
export function terminalProgress(stream: OutputStream): Progress {
  if (!stream.isTTY) return { phase: () => {}, tick: () => {}, stop: () => {} };

  const bar = new cliProgress.SingleBar(
    {
      stream: stream as unknown as NodeJS.WritableStream,
      format: 'reading {records} records ({rate}/s) {phase}',
      fps: 1000 / REDRAW_MS,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const startedAt = Date.now();
  let records = 0;
  let phase = '';
  let started = false;
  let stopped = false;
  const payload = () => ({
    records,
    phase,
    rate: Math.round(records / Math.max((Date.now() - startedAt) / 1000, 0.001)),
  });

  return {
    phase(label) {
      phase = sanitizeTerminalLine(label).slice(0, 60);
      if (!started) {
        bar.start(0, 0, payload());
        started = true;
      }
    },
    tick() {
      records++;
      if (started && records % 1000 === 0) bar.update(0, payload());
    },
    stop() {
      if (!started || stopped) return;
      stopped = true;
      bar.update(0, payload());
      bar.stop();
    },
  };
}
