/**
 * Value transformations of the Sigma encoding modifiers (`base64`, `base64offset`, `wide`,
 * `utf16le`, `utf16be`, `utf16`) and of `windash`. They run once, when a rule is parsed.
 */

/** A value on its way through the modifier chain: text, or bytes after a UTF-16 encoding. */
export type ChainValue = { text: string } | { bytes: Buffer };

function bytesOf(value: ChainValue): Buffer {
  return 'bytes' in value ? value.bytes : Buffer.from(value.text, 'utf8');
}

function textOf(value: ChainValue): string {
  return 'text' in value ? value.text : value.bytes.toString('latin1');
}

/** `base64`: the value as standard Base64 text. */
export function base64(value: ChainValue): ChainValue[] {
  return [{ text: bytesOf(value).toString('base64') }];
}

// Leading Base64 characters that depend on bytes before the value, for a 0, 1 or 2 byte shift.
const OFFSET_START = [0, 2, 3] as const;
// Trailing characters that depend on bytes after the value, by (length + shift) mod 3.
const OFFSET_END = [0, 3, 2] as const;

/**
 * `base64offset`: the three Base64 forms the value takes inside a longer Base64 text, one per
 * byte alignment, with the characters that depend on neighbouring bytes cut off.
 */
export function base64Offset(value: ChainValue): ChainValue[] {
  const bytes = bytesOf(value);
  const variants: ChainValue[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
    const start = OFFSET_START[shift]!;
    const end = encoded.length - OFFSET_END[(bytes.length + shift) % 3]!;
    variants.push({ text: encoded.slice(start, end) });
  }
  return variants;
}

/** `wide` / `utf16le`: the value's text as UTF-16 little-endian bytes. */
export function utf16le(value: ChainValue): ChainValue[] {
  return [{ bytes: Buffer.from(textOf(value), 'utf16le') }];
}

/** `utf16be`: the value's text as UTF-16 big-endian bytes. */
export function utf16be(value: ChainValue): ChainValue[] {
  const bytes = Buffer.from(textOf(value), 'utf16le');
  return [{ bytes: bytes.swap16() }];
}

/** `utf16`: a little-endian byte order mark followed by UTF-16 little-endian bytes. */
export function utf16(value: ChainValue): ChainValue[] {
  const body = Buffer.from(textOf(value), 'utf16le');
  return [{ bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), body]) }];
}

/** The characters Windows accepts as the start of a command line flag. */
export const WINDASH_CHARACTERS = ['-', '/', '\u2013', '\u2014', '\u2015'] as const;

// Above this many flag positions the permutations (5^n) would bloat the compiled rule.
export const MAX_WINDASH_POSITIONS = 4;

/**
 * `windash`: every spelling of the value with each flag character (a `-` or `/` at the start
 * of a word, after a non-word character) replaced by each Windows dash variant. Returns `null`
 * when the value has more than `MAX_WINDASH_POSITIONS` flags.
 */
export function windash(value: ChainValue): ChainValue[] | null {
  const text = textOf(value);
  const positions: number[] = [];
  for (const match of text.matchAll(/(?<![\w])[-/](?=\w)/g)) positions.push(match.index);
  if (positions.length > MAX_WINDASH_POSITIONS) return null;

  let variants = [text];
  for (const position of positions) {
    variants = variants.flatMap((variant) =>
      WINDASH_CHARACTERS.map(
        (dash) => variant.slice(0, position) + dash + variant.slice(position + 1),
      ),
    );
  }
  return variants.map((variant) => ({ text: variant }));
}

/** The final text of an encoded value; bytes become Latin-1 text, one character per byte. */
export function chainText(value: ChainValue): string {
  return textOf(value);
}
