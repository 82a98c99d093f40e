/**
 * `node --import tsx bench/hunt.ts`: generates N benign CloudTrail events as delivery files,
 * ingests them with `investigate --no-builtin-rules`, then times `hunt --rules rules` (the
 * built-in pack, in SQL) on the case with the real CLI, and prints the figures. Only the hunt
 * is measured; generating and ingesting are set-up.
 *
 * Flags: `--events N` (default 200,000), `--seed N` (default 1), `--case DIR` to hunt an
 * existing case instead of generating one, `--keep` to leave the generated logs and case.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBenignDeliveryFiles } from '../src/demo/index.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'cloudcase.mjs');

interface Flags {
  events: number;
  seed: number;
  caseDir: string | null;
  keep: boolean;
}

function parseFlags(): Flags {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '200000' },
      seed: { type: 'string', default: '1' },
      case: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const events = Number(values.events);
  if (!Number.isInteger(events) || events < 1) {
    throw new Error(`invalid --events value: ${values.events}; expected a positive integer`);
  }
  return { events, seed: Number(values.seed), caseDir: values.case ?? null, keep: values.keep };
}

/** Runs the CLI; returns its exit code, stdout and wall seconds. */
function runCli(args: string[]) {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise<{ code: number | null; stdout: string; wall: number }>((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      const wall = (performance.now() - started) / 1000;
      done({ code, stdout: Buffer.concat(chunks).toString('utf8'), wall });
    });
  });
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const work = await mkdtemp(join(os.tmpdir(), 'cloudcase-bench-hunt-'));
  const caseDir = flags.caseDir ?? join(work, 'case');
  try {
    if (flags.caseDir === null) {
      const logs = join(work, 'logs');
      console.log(`generating ${flags.events.toLocaleString('en-US')} events in ${logs}`);
      await writeBenignDeliveryFiles(logs, { count: flags.events, seed: flags.seed });
      console.log('ingesting (not measured)');
      const ingest = await runCli(['investigate', logs, '--case', caseDir, '--no-builtin-rules']);
      if (ingest.code !== 0) throw new Error(`investigate exited ${ingest.code}`);
    }

    const hunt = await runCli([
      'hunt',
      '--case',
      caseDir,
      '--rules',
      join(ROOT, 'rules'),
      '--json',
    ]);
    if (hunt.code !== 0) throw new Error(`hunt exited ${hunt.code}`);
    const result = JSON.parse(hunt.stdout) as {
      events: number;
      rules: unknown[];
      detections_added: number;
      seconds: number;
    };
    console.log(
      JSON.stringify(
        {
          events: result.events,
          rules: result.rules.length,
          detections_added: result.detections_added,
          hunt_seconds: result.seconds,
          wall_seconds_with_startup: Math.round(hunt.wall * 100) / 100,
          events_per_second: Math.round(result.events / result.seconds),
          cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
          cores: os.cpus().length,
        },
        null,
        2,
      ),
    );
  } finally {
    if (flags.keep) console.log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

await main();
