/** Finds the line of a JSON entry in the text it was parsed from. */

/** Maps a character offset to its one-based line, by binary search over the line starts. */
export class LineIndex {
  readonly #starts: number[] = [0];
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1))
      this.#starts.push(i + 1);
  }

  /** Returns the line of `offset`. */
  lineAt(offset: number): number {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.#starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }

  /**
   * Returns the line where the JSON string `id` first appears, or `fallback` when it does not.
   * JSON.parse keeps no positions, so an entry is found again by its id.
   */
  lineOf(id: unknown, fallback = 1): number {
    if (typeof id !== 'string' || id === '') return fallback;
    const at = this.#text.indexOf(JSON.stringify(id));
    return at < 0 ? fallback : this.lineAt(at);
  }
}
