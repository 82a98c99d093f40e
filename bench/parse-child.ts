/**
 * Child process of the per-format benchmark: measures one format's parse stage and prints the
 * result as JSON on stdout. Arguments: format id, record count, seed, folder for the file.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { ParseRun } from './formats-result.ts';
import { type FormatGenerator, GENERATORS, toReadable } from './generate/index.ts';
import { contextOf, formatOf, parseStream } from './parse-stage.ts';

let gc: (() => void) | undefined;

/** Runs a full garbage collection, so that heap figures start from live objects only. */
function collectGarbage(): void {
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}

const HEAP_SAMPLE_EVERY = 4096;

function load(): number {
  return os.loadavg()[0] ?? 0;
}

/** Writes a generator's file, then times reading it back through `records()` and `normalize()`. */
export async function measureParse(
  generator: FormatGenerator,
  dir: string,
  count: number,
  seed: number,
): Promise<ParseRun> {
  const format = formatOf(generator);
  const file = join(dir, `${format.id}-${generator.fileName}`);
  const genStart = performance.now();
  await pipeline(toReadable(generator.pieces(count, seed)), createWriteStream(file));
  const generationSeconds = (performance.now() - genStart) / 1000;
  const bytes = (await stat(file)).size;

  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const loadAtStart = load();
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const sampleHeap = (records: number) => {
    if (records % HEAP_SAMPLE_EVERY === 0) {
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
  };
  const input = createReadStream(file);
  const counts = await parseStream(format, input, contextOf(generator), sampleHeap);

  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;
  await rm(file, { force: true });

  return {
    format: format.id,
    file_name: generator.fileName,
    records_generated: count,
    file_bytes: bytes,
    generation_seconds: generationSeconds,
    records_read: counts.records,
    events: counts.events,
    rejected: counts.rejected,
    rejection_codes: counts.rejectionCodes,
    wall_seconds: wallSeconds,
    cpu_seconds: cpuSeconds,
    events_per_second: counts.events / wallSeconds,
    events_per_cpu_second: counts.events / cpuSeconds,
    heap_before_bytes: heapBefore,
    heap_peak_growth_bytes: heapPeak - heapBefore,
    heap_retained_growth_bytes: heapAfter - heapBefore,
    load_average: [loadAtStart, load()],
  };
}

async function main(): Promise<void> {
  const [id, count, seed, dir] = process.argv.slice(2);
  const generator = GENERATORS.find((candidate) => candidate.format === id);
  if (generator === undefined || dir === undefined) {
    throw new Error(`usage: parse-child.ts FORMAT COUNT SEED DIR; unknown format ${id}`);
  }
  const run = await measureParse(generator, dir, Number(count), Number(seed));
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

await main();
