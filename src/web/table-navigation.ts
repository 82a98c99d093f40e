/// <reference lib="dom" />
/** Moving through the timeline table: its keys and its "Go to" form. */
import { h, on } from './dom.ts';

/** Parses a "Go to" target: a 1-based row number, or a time, in UTC when it has no zone. */
export function parseGoTo(text: string): { row: number } | { time: string } | null {
  const value = text.trim();
  if (/^\d[\d,]*$/.test(value)) return { row: Number(value.replaceAll(',', '')) };
  const match =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      value,
    );
  if (match === null) return null;
  const [, day, clock, zone] = match;
  const iso = `${day}T${clock ?? '00:00'}${zone ?? 'Z'}`;
  return Number.isNaN(Date.parse(iso)) ? null : { time: iso };
}

/**
 * Returns how many rows a key moves the current row: one for the arrows, a screen for Page Up
 * and Page Down, and to either end for Home and End. Returns undefined for any other key.
 */
export function keyStep(key: string, rowsInView: number, total: number): number | undefined {
  const steps: Record<string, number> = {
    ArrowDown: 1,
    ArrowUp: -1,
    PageDown: rowsInView,
    PageUp: -rowsInView,
    Home: -total,
    End: total,
  };
  return steps[key];
}

/** Creates the "Go to" form, which calls `onGo` with the text entered. */
export function createGoToForm(onGo: (text: string) => void): HTMLFormElement {
  const input = h('input', {
    type: 'text',
    placeholder: 'row or time, such as 2024-05-01T10:00',
    'aria-label': 'go to row or time',
    'data-testid': 'go-to',
  });
  const form = h(
    'form',
    { class: 'go-to' },
    input,
    h('button', { type: 'submit', 'data-testid': 'go-to-submit' }, 'Go to'),
  );
  return on(form, 'submit', (event) => {
    event.preventDefault();
    onGo(input.value);
  });
}
