/**
 * Scaled scrolling for a list taller than a browser lets an element be. Chromium caps an
 * element's height near 33.5 million pixels (Firefox near 17.9 million), so a list of millions of
 * rows cannot have a spacer of its real height. The list keeps a virtual height instead, and the
 * spacer is at most `MAX_SPACER_HEIGHT` tall: dragging the scrollbar maps its position
 * proportionally onto the virtual height, while wheel turns, keys and jumps move the virtual
 * offset by exact pixels. Rows are then placed relative to the viewport, so the rows in view sit
 * exactly one row height apart whatever the scale.
 */

/** Tallest spacer the table sets, well below the height caps of Chromium and Firefox. */
export const MAX_SPACER_HEIGHT = 8_000_000;

// A scroll position within this many pixels of the one last written is the echo of that write:
// the browser rounds the position it is given.
const ECHO_TOLERANCE = 1;

/** The mapping between a scroll element's position and the list's virtual offset. */
export class ScaledScroll {
  #virtualHeight = 0;
  #viewport = 0;
  #offset = 0;
  #written: number | null = null;

  /** Sets the list's virtual height and the viewport's height, in pixels. */
  resize(virtualHeight: number, viewport: number): void {
    this.#virtualHeight = Math.max(0, virtualHeight);
    this.#viewport = Math.max(0, viewport);
    this.#offset = this.#clamp(this.#offset);
  }

  /** The height to give the spacer element. */
  get spacerHeight(): number {
    return Math.min(this.#virtualHeight, MAX_SPACER_HEIGHT);
  }

  /** Whether the spacer is shorter than the list, so positions are scaled. */
  get scaled(): boolean {
    return this.#virtualHeight > MAX_SPACER_HEIGHT;
  }

  /** The virtual offset of the viewport's top edge. */
  get offset(): number {
    return this.#offset;
  }

  /** The largest virtual offset: the list's end at the viewport's bottom edge. */
  get maxOffset(): number {
    return Math.max(0, this.#virtualHeight - this.#viewport);
  }

  /** Converts a scroll position of the element to a virtual offset. */
  toVirtual(position: number): number {
    const realMax = this.spacerHeight - this.#viewport;
    if (!this.scaled || realMax <= 0) return this.#clamp(position);
    return this.#clamp((position / realMax) * this.maxOffset);
  }

  /** Converts a virtual offset to the element's scroll position. */
  toPosition(offset: number): number {
    const realMax = this.spacerHeight - this.#viewport;
    if (!this.scaled || this.maxOffset <= 0) return offset;
    return (offset / this.maxOffset) * realMax;
  }

  /**
   * Reads a scroll event's position. The echo of a position this object wrote keeps the exact
   * virtual offset it was written for; any other position (a scrollbar drag) is mapped.
   */
  observe(position: number): number {
    const written = this.#written;
    if (written !== null && Math.abs(position - written) <= ECHO_TOLERANCE) return this.#offset;
    this.#written = null;
    this.#offset = this.toVirtual(position);
    return this.#offset;
  }

  /** Moves to a virtual offset (clamped) and returns the scroll position to write. */
  moveTo(offset: number): number {
    this.#offset = this.#clamp(offset);
    const position = this.toPosition(this.#offset);
    this.#written = position;
    return position;
  }

  /** Where the spacer holds a virtual position, given the element's scroll position. */
  place(virtualTop: number, position: number): number {
    return virtualTop - this.#offset + position;
  }

  #clamp(offset: number): number {
    return Math.min(Math.max(0, offset), this.maxOffset);
  }
}
