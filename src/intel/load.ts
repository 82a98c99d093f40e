/** Loads intel files of any supported format, each bounded in size. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { LineIndex } from './lines.ts';
import { isMisp, readMisp } from './misp.ts';
import { readStix } from './stix.ts';
import { hasCsvHeader, readCsv, readList } from './text-lists.ts';
import type { Indicator, IntelFileSummary, IntelProblem, IntelSet } from './types.ts';

/** Largest intel file read, in bytes. */
export const MAX_INTEL_FILE_BYTES = 64 * 1024 * 1024;

/** Most indicators kept over all files of a run; the rest are reported. */
export const MAX_INDICATORS = 2_000_000;

/** Loads every file; a file that cannot be read is reported in its summary, not raised. */
export async function loadIntel(files: readonly string[]): Promise<IntelSet> {
  const set: IntelSet = { indicators: [], files: [] };
  for (const file of files) {
    const { summary, indicators } = await loadIntelFile(file);
    const room = MAX_INDICATORS - set.indicators.length;
    if (indicators.length > room) {
      summary.problems.push({
        file,
        line: indicators[room]?.line ?? 1,
        code: 'too_many_indicators',
        message: `more than ${MAX_INDICATORS} indicators in all intel files; the rest are left out`,
      });
    }
    for (const indicator of indicators.slice(0, Math.max(0, room))) set.indicators.push(indicator);
    summary.indicators = Math.min(indicators.length, Math.max(0, room));
    set.files.push(summary);
  }
  return set;
}

/** Loads one file: STIX 2.1 bundle, MISP export, CSV with a header, or plain list. */
export async function loadIntelFile(
  file: string,
): Promise<{ summary: IntelFileSummary; indicators: Indicator[] }> {
  const summary: IntelFileSummary = {
    file,
    sha256: '',
    format: 'unknown',
    indicators: 0,
    skipped: 0,
    problems: [],
  };
  const bytes = await readBounded(file, summary.problems);
  if (bytes === null) return { summary, indicators: [] };
  summary.sha256 = createHash('sha256').update(bytes).digest('hex');

  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const parsed = parseFile(text, file, summary);
  summary.skipped = parsed.skipped;
  summary.problems.push(...parsed.problems);
  summary.indicators = parsed.indicators.length;

  return { summary, indicators: parsed.indicators };
}

function parseFile(
  text: string,
  file: string,
  summary: IntelFileSummary,
): { indicators: Indicator[]; skipped: number; problems: IntelProblem[] } {
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      const message = `the file is not valid JSON (${(error as Error).message})`;
      return {
        indicators: [],
        skipped: 0,
        problems: [{ file, line: 1, code: 'invalid_json', message }],
      };
    }
    const lines = new LineIndex(text);
    if (isMisp(parsed)) {
      summary.format = 'misp';
      return readMisp(parsed, file, lines);
    }
    if (isStix(parsed)) {
      summary.format = 'stix';
      return readStix(parsed, file, lines);
    }
    const message = 'JSON that is neither a STIX 2.1 bundle nor a MISP export';
    return {
      indicators: [],
      skipped: 0,
      problems: [{ file, line: 1, code: 'unknown_intel_format', message }],
    };
  }
  if (hasCsvHeader(text)) {
    summary.format = 'csv';
    return readCsv(text, file);
  }
  summary.format = 'list';
  return readList(text, file);
}

function isStix(parsed: unknown): boolean {
  if (Array.isArray(parsed))
    return parsed.some((o) => typeof o === 'object' && o !== null && 'type' in o);
  const o = parsed as Record<string, unknown>;
  return o.type === 'bundle' || Array.isArray(o.objects);
}

async function readBounded(file: string, problems: IntelProblem[]): Promise<Buffer | null> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    if (size > MAX_INTEL_FILE_BYTES) {
      problems.push({
        file,
        line: 1,
        code: 'intel_file_too_large',
        message: `larger than ${MAX_INTEL_FILE_BYTES} bytes; split it into smaller files`,
      });
      return null;
    }
    return await handle.readFile();
  } catch (error) {
    problems.push({
      file,
      line: 1,
      code: 'intel_file_unreadable',
      message: (error as Error).message,
    });
    return null;
  } finally {
    await handle?.close();
  }
}
