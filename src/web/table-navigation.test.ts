import { describe, expect, it } from 'vitest';
import { keyStep, parseGoTo } from './table-navigation.ts';

describe('parseGoTo', () => {
  it('reads row numbers and times', () => {
    expect(parseGoTo('1,234,567')).toEqual({ row: 1_234_567 });
    expect(parseGoTo(' 42 ')).toEqual({ row: 42 });
    expect(parseGoTo('2024-05-01')).toEqual({ time: '2024-05-01T00:00Z' });
    expect(parseGoTo('2024-05-01 10:15:30')).toEqual({ time: '2024-05-01T10:15:30Z' });
    expect(parseGoTo('2024-05-01T10:15+02:00')).toEqual({ time: '2024-05-01T10:15+02:00' });
  });

  it('rejects other text', () => {
    expect(parseGoTo('')).toBeNull();
    expect(parseGoTo('yesterday')).toBeNull();
    expect(parseGoTo('2024-13-45')).toBeNull();
  });
});

describe('keyStep', () => {
  it('moves by rows, screens and ends', () => {
    expect(keyStep('ArrowDown', 18, 1000)).toBe(1);
    expect(keyStep('ArrowUp', 18, 1000)).toBe(-1);
    expect(keyStep('PageDown', 18, 1000)).toBe(18);
    expect(keyStep('PageUp', 18, 1000)).toBe(-18);
    expect(keyStep('Home', 18, 1000)).toBe(-1000);
    expect(keyStep('End', 18, 1000)).toBe(1000);
  });

  it('ignores other keys', () => {
    expect(keyStep('a', 18, 1000)).toBeUndefined();
    expect(keyStep('Enter', 18, 1000)).toBeUndefined();
  });
});
