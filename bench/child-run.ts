/** The real CLI run as a child process, with its peak RSS and CPU time sampled from `/proc`. */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { PeakRssSampler } from './peak-rss.ts';
import type { BenchResult } from './results-page.ts';

/** Root of the repository. */
export const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'cloudcase.mjs');

export interface ChildRun {
  exitCode: number | null;
  wallSeconds: number;
  stdout: string;
  vmhwmBytes: number;
  cpuSeconds: number;
  /** One-minute load averages of the machine when the child started and when it exited. */
  loadAverage: [number, number];
}

/** Runs the CLI with `args` and samples its peak RSS and CPU time until it exits. */
export function runCliChild(args: string[]): Promise<ChildRun> {
  const started = performance.now();
  const loadAtStart = os.loadavg()[0] ?? 0;
  // The bin itself, as a shell runs it, so that its shebang's Node flags apply.
  const child = spawn(CLI, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const sampler = new PeakRssSampler(child.pid ?? 0);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));

  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (exitCode) => {
      sampler.stop();
      done({
        exitCode,
        wallSeconds: (performance.now() - started) / 1000,
        stdout: Buffer.concat(chunks).toString('utf8'),
        vmhwmBytes: sampler.peakBytes,
        cpuSeconds: sampler.cpuSeconds,
        loadAverage: [loadAtStart, os.loadavg()[0] ?? 0],
      });
    });
  });
}

export function machine(): BenchResult['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory_bytes: os.totalmem(),
    platform: os.platform(),
    release: os.release(),
  };
}
