import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CloudcaseError, EXIT } from '../core/errors.ts';

/** One line of a JSON Lines file, parsed or not. */
export type JsonLine =
  | { line: number; ok: true; value: unknown }
  | { line: number; ok: false; reason: string };

/** Streams the non-empty lines of a JSON Lines file; a missing file has no lines. */
export async function* readJsonLines(file: string): AsyncIterable<JsonLine> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const missing = await new Promise<boolean>((resolve, reject) => {
    input.once('readable', () => resolve(false));
    input.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') resolve(true);
      else reject(error);
    });
  });
  if (missing) return;

  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line += 1;
    if (text.trim() === '') continue;
    yield parseLine(line, text);
  }
}

function parseLine(line: number, text: string): JsonLine {
  try {
    return { line, ok: true, value: JSON.parse(text) };
  } catch {
    return { line, ok: false, reason: 'not valid JSON' };
  }
}

/** Appends one line and flushes it to disk before resolving. */
export async function appendLine(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, 'a', 0o644);
  try {
    await handle.write(`${text}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Reads the last non-empty line of a file, or `null` when it has none or does not exist. */
export async function readLastLine(file: string, maxLineBytes: number): Promise<string | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }

  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxLineBytes + 2);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8').trimEnd();
    if (text === '') return null;

    const newline = text.lastIndexOf('\n');
    if (newline === -1 && length < size) {
      throw new CloudcaseError(
        'line_too_long',
        `The last line of ${file} is longer than ${maxLineBytes} bytes; run \`cloudcase verify\`.`,
        EXIT.verification,
      );
    }

    return text.slice(newline + 1);
  } finally {
    await handle.close();
  }
}
