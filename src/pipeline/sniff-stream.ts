import type { Readable } from 'node:stream';
import { detectFormat } from '../sources/index.ts';
import { skimJsonStrings } from '../sources/json-skim.ts';
import type { SourceFormat } from '../sources/types.ts';
import { type Peeked, peekStream } from './peek.ts';

/** Bytes given to each format's sniff to recognise a stream. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Bytes read to recognise a JSON stream that SNIFF_BYTES did not, such as JSON lines with sorted
 * keys whose first record starts with a long `additionalEventData`. The sniffs then test these
 * bytes with their long strings cut (see `skimJsonStrings`), and they stay in memory until the
 * parser reads them.
 */
export const SKIM_BYTES = 1024 * 1024;

/**
 * Picks the format of a stream from its first bytes. When none matches and they are the start of
 * JSON text that goes on, the first SKIM_BYTES are sniffed again with their long strings cut.
 * Returns the stream to parse, which replays the bytes read.
 */
export async function detectStreamFormat(
  peeked: Peeked,
  name: string,
): Promise<{ format: SourceFormat | null; stream: Readable }> {
  const format = detectFormat(peeked.head, name);
  if (format !== null || peeked.head.length < SNIFF_BYTES || !startsJson(peeked.head)) {
    return { format, stream: peeked.stream };
  }

  const wider = await peekStream(peeked.stream, SKIM_BYTES);
  const skimmed = skimJsonStrings(wider.head, SNIFF_BYTES);
  return { format: detectFormat(skimmed, name), stream: wider.stream };
}

/** Returns whether `head` starts with `{` or `[`, after a byte order mark and white space. */
function startsJson(head: Buffer): boolean {
  const first = head
    .toString('latin1')
    .replace(/^\u00ef\u00bb\u00bf/, '')
    .trimStart()[0];
  return first === '{' || first === '[';
}
