import { describe, expect, it } from 'vitest';
import { MAX_SPACER_HEIGHT, ScaledScroll } from './scaled-scroll.ts';

const ROW = 28;
const VIEWPORT = 518;

describe('ScaledScroll', () => {
  it('leaves a short list unscaled', () => {
    const scroll = new ScaledScroll();
    scroll.resize(1000 * ROW, VIEWPORT);
    expect(scroll.scaled).toBe(false);
    expect(scroll.spacerHeight).toBe(1000 * ROW);
    expect(scroll.observe(500)).toBe(500);
    expect(scroll.moveTo(700)).toBe(700);
    expect(scroll.place(20 * ROW, 700)).toBe(20 * ROW);
  });

  it('caps the spacer of a long list', () => {
    const scroll = new ScaledScroll();
    scroll.resize(5_000_000 * ROW, VIEWPORT);
    expect(scroll.scaled).toBe(true);
    expect(scroll.spacerHeight).toBe(MAX_SPACER_HEIGHT);
  });

  it('maps the scrollbar ends to the list ends', () => {
    const scroll = new ScaledScroll();
    scroll.resize(5_000_000 * ROW, VIEWPORT);
    const bottom = MAX_SPACER_HEIGHT - VIEWPORT;
    expect(scroll.observe(0)).toBe(0);
    expect(scroll.observe(bottom)).toBe(5_000_000 * ROW - VIEWPORT);
    // The last row ends at the spacer's end.
    expect(scroll.place(4_999_999 * ROW, bottom) + ROW).toBe(MAX_SPACER_HEIGHT);
  });

  it('keeps an exact offset through its own write', () => {
    const scroll = new ScaledScroll();
    scroll.resize(5_000_000 * ROW, VIEWPORT);
    const offset = 1_234_567 * ROW;
    const position = scroll.moveTo(offset);
    // The browser rounds the position it is given; the echo keeps the offset.
    expect(scroll.observe(Math.round(position))).toBe(offset);
    expect(scroll.place(offset, Math.round(position))).toBe(Math.round(position));
    expect(scroll.place(offset + ROW, Math.round(position))).toBe(Math.round(position) + ROW);
  });

  it('maps a scrollbar drag proportionally', () => {
    const scroll = new ScaledScroll();
    scroll.resize(5_000_000 * ROW, VIEWPORT);
    scroll.moveTo(0);
    const half = (MAX_SPACER_HEIGHT - VIEWPORT) / 2;
    expect(scroll.observe(half)).toBeCloseTo((5_000_000 * ROW - VIEWPORT) / 2, 3);
  });

  it('clamps offsets to the list', () => {
    const scroll = new ScaledScroll();
    scroll.resize(100 * ROW, VIEWPORT);
    expect(scroll.moveTo(-50)).toBe(0);
    expect(scroll.moveTo(10 ** 9)).toBe(100 * ROW - VIEWPORT);
  });
});
