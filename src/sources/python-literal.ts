/**
 * A reader of Python literals as `repr()` writes them: dicts, lists, tuples, strings, numbers,
 * `None`, `True` and `False`. Some tools export nested records this way, for example a CSV column
 * holding `{'type': 'AWSAccount', 'principalId': ''}`. The text is parsed, never evaluated.
 */

/** Deepest nesting of dicts and lists read; deeper text is rejected. */
const MAX_DEPTH = 32;
const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
};

/** Parses one Python literal into the JSON value it writes, or returns `undefined`. */
export function parsePythonLiteral(textValue: string): unknown {
  const reader = new LiteralReader(textValue);
  try {
    const value = reader.value(0);
    reader.skipSpace();
    return reader.atEnd() ? value : undefined;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

class LiteralReader {
  readonly #text: string;
  #at = 0;

  constructor(textValue: string) {
    this.#text = textValue;
  }

  atEnd(): boolean {
    return this.#at >= this.#text.length;
  }

  skipSpace(): void {
    while (/\s/.test(this.#text[this.#at] ?? '')) this.#at++;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new SyntaxError('nested too deeply');
    this.skipSpace();
    const char = this.#text[this.#at];
    if (char === '{') return this.#dict(depth);
    if (char === '[') return this.#sequence(depth, ']');
    if (char === '(') return this.#sequence(depth, ')');
    if (char === "'" || char === '"') return this.#string(char);

    const word = /^(None|True|False|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      this.#text.slice(this.#at, this.#at + 64),
    )?.[1];
    if (word === undefined) throw new SyntaxError('unexpected character');
    this.#at += word.length;
    if (word === 'None') return null;
    if (word === 'True') return true;
    if (word === 'False') return false;
    // Integers beyond 2^53 keep their digits as text, because a number would round them.
    const number = Number(word);
    return Number.isSafeInteger(number) || !/^-?\d+$/.test(word) ? number : word;
  }

  #expect(char: string): void {
    this.skipSpace();
    if (this.#text[this.#at] !== char) throw new SyntaxError(`expected ${char}`);
    this.#at++;
  }

  /** Reads the separator after an item: true at the closing bracket, false after a comma. */
  #closes(close: string): boolean {
    this.skipSpace();
    const char = this.#text[this.#at];
    this.#at++;
    if (char === close) return true;
    if (char !== ',') throw new SyntaxError(`expected , or ${close}`);
    this.skipSpace();
    if (this.#text[this.#at] !== close) return false;
    this.#at++;
    return true;
  }

  #dict(depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.#at++;
    this.skipSpace();
    if (this.#text[this.#at] === '}') {
      this.#at++;
      return result;
    }
    for (;;) {
      const key = this.value(depth + 1);
      if (typeof key !== 'string' && typeof key !== 'number') {
        throw new SyntaxError('a dict key must be a string or a number');
      }
      this.#expect(':');
      Object.defineProperty(result, String(key), {
        value: this.value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (this.#closes('}')) return result;
    }
  }

  #sequence(depth: number, close: string): unknown[] {
    const result: unknown[] = [];
    this.#at++;
    this.skipSpace();
    if (this.#text[this.#at] === close) {
      this.#at++;
      return result;
    }
    for (;;) {
      result.push(this.value(depth + 1));
      if (this.#closes(close)) return result;
    }
  }

  #string(quote: string): string {
    let result = '';
    this.#at++;
    for (;;) {
      const char = this.#text[this.#at++];
      if (char === undefined) throw new SyntaxError('unterminated string');
      if (char === quote) return result;
      if (char !== '\\') {
        result += char;
        continue;
      }
      const escaped = this.#text[this.#at++] ?? '';
      if (escaped === 'x' || escaped === 'u') {
        const width = escaped === 'x' ? 2 : 4;
        const hex = this.#text.slice(this.#at, this.#at + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) {
          throw new SyntaxError('invalid escape');
        }
        result += String.fromCharCode(Number.parseInt(hex, 16));
        this.#at += width;
        continue;
      }
      result += ESCAPES[escaped] ?? `\\${escaped}`;
    }
  }
}
